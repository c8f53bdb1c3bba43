from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "mutiroes.core"
    label = "core"

    def ready(self) -> None:
        # Every process (API, worker, scheduler) reports its breakers' states as metrics.
        from mutiroes.infra import metrics
        from mutiroes.resilience.breakers import watch

        watch(metrics.breaker_report)
