"""Outgoing e-mail through the ``smtp`` breaker.

Transient trouble (connection refused, timeouts, 4xx replies) counts towards opening the breaker;
a permanent 5xx refusal of one message is about that message, not the server, and does not: ``send`` raises it
as ``EmailRefused``, which the e-mail job does not retry. While the breaker is open no SMTP connection is
attempted: callers delay the message instead.
"""

import smtplib
import socket

from django.conf import settings
from django.core.mail import EmailMessage
from opentelemetry.trace import SpanKind

from mutiroes.infra import tracing
from mutiroes.resilience.breakers import CircuitBreakerError, breaker, guarded

__all__ = ["CircuitBreakerError", "EmailRefused", "is_transient", "send", "smtp_breaker"]


class EmailRefused(Exception):
    """The SMTP server refused this message for good (a 5xx reply): sending it again would be refused again."""


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(400 <= code < 500 for code, _ in exc.recipients.values())
    return isinstance(exc, (smtplib.SMTPException, OSError, socket.timeout))


smtp_breaker = breaker("smtp", failures=lambda _type, exc: is_transient(exc))


def send(message: EmailMessage) -> int:
    """Send one message; raises CircuitBreakerError at once while the SMTP server is known to be down."""
    attributes = {"server.address": settings.EMAIL_HOST, "server.port": settings.EMAIL_PORT,
                  "email.backend": settings.EMAIL_BACKEND.rsplit(".", 2)[-2]}  # fmt: skip
    with tracing.span("smtp send", kind=SpanKind.CLIENT, attributes=attributes):
        try:
            return guarded(smtp_breaker, message.send)
        except (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused) as exc:
            if is_transient(exc):
                raise
            raise EmailRefused(str(exc)) from exc
