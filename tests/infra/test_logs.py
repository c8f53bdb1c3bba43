"""The log redaction and context fields (mutiroes.infra.logs) on single records; the whole journey is in
tests/system/test_log_journey.py."""

import io
import json
import logging

import pytest
from django.test import override_settings

from mutiroes.accounts.unsubscribe import unsubscribe_token
from mutiroes.infra import logs


@pytest.fixture
def emit():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(logs.ContextFilter())
    handler.setFormatter(logs.RedactingJsonFormatter())
    logger = logging.getLogger("tests.logs")
    logger.addHandler(handler)
    logger.propagate = False

    def write(*args, **kwargs) -> dict:
        stream.seek(0)
        stream.truncate()
        logger.warning(*args, **kwargs)
        return json.loads(stream.getvalue())

    yield write
    logger.removeHandler(handler)


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("sent to ana.souza+x@example.com.br", "ana.souza+x@example.com.br"),
        ("call +55 (11) 98765-4321 now", "98765-4321"),
        ("call 11987654321 now", "11987654321"),
        ("call (21) 3456-7890", "3456-7890"),
        ("bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlX2hlcmU", "eyJhbGciOiJIUzI1NiJ9"),
        ("POST /api/v1/notifications/unsubscribe?token=eyJ1IjoyLCJrIjoiciJ9:1xZ1So:33CCZHAyjq0Vf HTTP/1.1", "1xZ1So"),
        ("unsubscribe .eJyrVkrOz0nNzS3NVbJSMjQyVagFADnsBaI:abcdefghijklmnopqrstuvw", "eJyrVkrOz0nNzS3"),
        ("reset c3k4ab-0123456789abcdef0123456789abcdef used", "0123456789abcdef0123456789abcdef"),
        ("{'password': 'hunter2', 'username': 'ana'}", "hunter2"),
        ("new_password=segredo-123&x=1", "segredo-123"),
        ("Authorization: Bearer abc.def.ghi", "abc.def.ghi"),
    ],
)
def test_secrets_and_personal_data_are_masked(emit, text, secret):
    record = emit("%s", text)

    assert secret not in json.dumps(record)
    assert "[redacted]" in record["message"] or "[e-mail]" in record["message"] or "[phone]" in record["message"]


@pytest.mark.parametrize(
    "text",
    ["run 12 (send_event_notification_email 2026-11) enqueued: 3 message(s)", "redis 127.0.0.1:6379 down for 1500 ms",
     "message 3f2a1b4c-1234-5678-9abc-def012345678 at 2026-12-03 12:34:56", "version 1.45.2"],
)  # fmt: skip
def test_ordinary_lines_stay_as_they_are(emit, text):
    assert emit("%s", text)["message"] == text


def test_tracebacks_and_extra_fields_are_masked_too(emit):
    try:
        raise ValueError("duplicate key (email)=(ana@example.org)")
    except ValueError:
        record = emit("failed", exc_info=True, extra={"recipient": "bob@example.org"})

    assert "ana@example.org" not in record["exc_info"] and "ValueError" in record["exc_info"]
    assert record["recipient"] == "[e-mail]"


def test_each_line_carries_the_bound_ids_and_they_are_unbound_after(emit):
    with logs.bound(request_id="r-123456789", user_id=42):
        with logs.bound(job="send_event_notification_email", message_id="m-1"):
            inside = emit("working")
        after_job = emit("still in the request")
    outside = emit("idle")

    assert (inside["request_id"], inside["user_id"], inside["job"], inside["message_id"]) == (
        "r-123456789", "42", "send_event_notification_email", "m-1",
    )  # fmt: skip
    assert (after_job["request_id"], after_job["job"]) == ("r-123456789", None)
    assert outside["request_id"] is None and outside["level"] == "WARNING" and outside["logger"] == "tests.logs"
    assert set(logs.JSON_FIELDS) - {"asctime", "levelname", "name"} <= outside.keys()
    assert outside["timestamp"].endswith("+00:00")


@override_settings(DEBUG=True)
def test_the_dev_servers_request_line_is_masked_like_every_other_line():
    """`mutiroes dev` (DEBUG=1) logs each request through runserver's "django.server" logger, query string included."""
    token = unsubscribe_token(user_id=7, kind="reminder")
    logger = logging.getLogger("django.server")
    stream = io.StringIO()
    # The handlers settings.LOGGING gives it (pytest adds capture handlers of its own, which print nowhere).
    handlers = [handler for handler in logger.handlers if not type(handler).__module__.startswith("_pytest")]
    assert handlers
    streams = [(handler, handler.setStream(stream)) for handler in handlers]
    try:
        # What django.core.servers.basehttp.WSGIRequestHandler.log_message writes for a one-click unsubscribe.
        logger.info('"%s" %s %s', f"POST /api/v1/notifications/unsubscribe?token={token} HTTP/1.1", "200", "31")
    finally:
        for handler, previous in streams:
            handler.setStream(previous)

    line = stream.getvalue()
    assert "/api/v1/notifications/unsubscribe" in line and token.split(":")[0] not in line
    assert "[redacted]" in line
