from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "mutiroes.accounts"
    label = "accounts"
    verbose_name = "Contas"

    def ready(self) -> None:
        from mutiroes.accounts import signals  # noqa: F401
