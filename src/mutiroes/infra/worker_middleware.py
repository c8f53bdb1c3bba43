"""Dramatiq middleware for Django processes."""

import dramatiq
from dramatiq.middleware import Middleware


class DatabaseConnections(Middleware):
    """Workers are long-lived: drop broken or expired DB connections around each message, as Django does per request."""

    def before_process_message(self, broker: dramatiq.Broker, message: dramatiq.Message) -> None:
        from django.db import close_old_connections

        close_old_connections()

    def after_process_message(
        self, broker: dramatiq.Broker, message: dramatiq.Message, *, result=None, exception=None
    ) -> None:  # noqa: ANN001
        from django.db import close_old_connections

        close_old_connections()

    after_skip_message = after_process_message
