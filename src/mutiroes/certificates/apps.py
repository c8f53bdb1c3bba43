from django.apps import AppConfig


class CertificatesConfig(AppConfig):
    name = "mutiroes.certificates"
    label = "certificates"
    verbose_name = "Horas e certificados"

    def ready(self) -> None:
        from mutiroes.certificates import services
        from mutiroes.events.signals import event_cancelled

        event_cancelled.connect(services.certificates_revoke_on_cancel, dispatch_uid="certificates_revoke_on_cancel")
