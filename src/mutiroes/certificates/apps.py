from django.apps import AppConfig


class CertificatesConfig(AppConfig):
    name = "mutiroes.certificates"
    label = "certificates"
    verbose_name = "Horas e certificados"
