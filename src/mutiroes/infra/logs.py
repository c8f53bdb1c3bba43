"""Log records that say who and what they are about, and never carry secrets or personal data.

Every process (API, worker, scheduler, dashboard) logs through the handler in ``settings.LOGGING``:

- ``ContextFilter`` adds the ids of the work in hand to each record: ``request_id`` and ``user_id`` (bound by the
  API's request middleware and its auth), ``job`` and ``message_id`` (bound by the worker middleware and the
  scheduler), ``trace_id`` and ``span_id`` (the current OpenTelemetry span, when tracing is on);
- ``RedactingJsonFormatter`` (``LOG_FORMAT=json``) writes one JSON object per line, and ``RedactingFormatter`` the
  plain line of ``mutiroes dev``. Both pass the finished text through ``redact``, so e-mail addresses, phone
  numbers, JWTs and ``password=``/``token=`` values are masked wherever they appear: in the message, its
  arguments, a traceback or an extra field.

The ids are context variables: each request, message or job binds them for its own thread and unbinds them at the
end (gunicorn and Dramatiq reuse their threads).
"""

import contextlib
import logging
import re
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from opentelemetry import trace
from pythonjsonlogger.json import JsonFormatter

CONTEXT_FIELDS = ("request_id", "user_id", "job", "message_id")
_context: dict[str, ContextVar[str | None]] = {name: ContextVar(f"log_{name}", default=None) for name in CONTEXT_FIELDS}
MASK = "[redacted]"

_REDACTIONS = [
    # JWTs (access, refresh, reset and unsubscribe tokens are all signed the same way: base64url header first).
    (re.compile(r"\beyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]{5,}"), MASK),
    # Django's signed values (unsubscribe links): a base64url JSON payload, then ':signature' parts.
    (re.compile(r"(?<![\w-])\.?(?:eJ|eyJ)[\w-]{8,}(?::[\w-]{4,})+"), MASK),
    # Django's password-reset token: a base-36 timestamp, a dash, 32 hex digits.
    (re.compile(r"\b[0-9a-z]{4,8}-[0-9a-f]{32}\b"), MASK),
    # key=value or "key": "value" for secret-looking keys; the key stays so that the line still reads.
    (
        re.compile(
            r"""(?i)(["']?\b(?:password|passwd|senha|new_password|current_password|token|secret|"""
            r"""authorization|api[_-]?key|cookie)\b["']?\s*[:=]\s*)(?:"[^"]*"|'[^']*'|(?:Bearer\s+)?[^\s&,;"'}]+)"""
        ),
        rf"\1{MASK}",
    ),
    (re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+"), "[e-mail]"),
    # Phone numbers: +55 (11) 91234-5678, (11) 1234-5678, 11912345678; not years, ids or times.
    (
        re.compile(
            r"(?<![\w.:/-])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{2,3}\)\s?|\d{2,3}[\s.-])?9?\d{4}[\s.-]\d{4}(?![\w.:/-])"
        ),
        "[phone]",
    ),
    (re.compile(r"(?<![\w.:/-])\+?\d{10,13}(?![\w.:/-])"), "[phone]"),
]


def redact(text: str) -> str:
    for pattern, replacement in _REDACTIONS:
        text = pattern.sub(replacement, text)
    return text


def bind(**values: str | int | None) -> dict[str, object]:
    """Set context fields for the current thread/task; returns the tokens ``unbind`` needs."""
    return {name: _context[name].set(None if value is None else str(value)) for name, value in values.items()}


def unbind(tokens: dict[str, object]) -> None:
    for name, token in tokens.items():
        with contextlib.suppress(ValueError):  # a token from another context: leave that context alone
            _context[name].reset(token)


@contextlib.contextmanager
def bound(**values: str | int | None) -> Iterator[None]:
    tokens = bind(**values)
    try:
        yield
    finally:
        unbind(tokens)


def current(name: str) -> str | None:
    return _context[name].get()


class ContextFilter(logging.Filter):
    """Adds the context fields, the trace and span ids to every record (empty when there are none)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, var in _context.items():
            if not hasattr(record, name):
                setattr(record, name, var.get())
        span = trace.get_current_span().get_span_context()
        record.trace_id = format(span.trace_id, "032x") if span.is_valid else None
        record.span_id = format(span.span_id, "016x") if span.is_valid else None
        return True


class RedactingFormatter(logging.Formatter):
    """The plain, readable line of ``mutiroes dev``, redacted."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class RedactingJsonFormatter(JsonFormatter):
    """One JSON object per line: timestamp (UTC), level, logger, message, the context fields; every value redacted."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger", "asctime": "timestamp"})
        kwargs.setdefault("json_ensure_ascii", False)
        super().__init__(JSON_FIELDS, *args, **kwargs)

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802 - logging's name
        return datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds")

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        return {key: _redacted(value) for key, value in log_data.items()}


JSON_FIELDS = ["asctime", "levelname", "name", "message", *CONTEXT_FIELDS, "trace_id", "span_id"]


def _redacted(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: _redacted(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_redacted(item) for item in value]
    return value
