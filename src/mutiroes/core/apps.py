from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "mutiroes.core"
    label = "core"

    def ready(self) -> None:
        # Every process (API, worker, scheduler) reports its breakers' states as metrics.
        from django.conf import settings

        from mutiroes.infra import metrics, tracing
        from mutiroes.resilience.breakers import watch

        watch(metrics.breaker_report)
        # Before the first request builds the middleware chain: Django's instrumentation adds its own.
        tracing.setup(service=settings.PROCESS_NAME)
