from django.apps import AppConfig


class ImpactConfig(AppConfig):
    name = "mutiroes.impact"
    label = "impact"
    verbose_name = "Impacto"
