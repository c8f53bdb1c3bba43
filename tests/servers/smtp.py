"""An SMTP sink (aiosmtpd) on a free loopback port, in a thread: collects messages, can refuse or go down."""

from __future__ import annotations

import email
import email.policy
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any, Self

from aiosmtpd.controller import Controller

from tests.support.processes import LOOPBACK, free_port


@dataclass(frozen=True)
class ReceivedMessage:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    message: EmailMessage = field(repr=False)

    @property
    def subject(self) -> str:
        return str(self.message["Subject"] or "")

    @property
    def to(self) -> str:
        return str(self.message["To"] or "")

    def text(self) -> str:
        """The plain-text body (the first text/plain part of a multipart message)."""
        part = self.message.get_body(preferencelist=("plain", "html"))
        return part.get_content() if part is not None else ""


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        reply = self.sink.reply
        if reply is not None:
            return reply
        data = envelope.original_content or envelope.content
        message = email.message_from_bytes(data, policy=email.policy.default)
        self.sink._record(ReceivedMessage(envelope.mail_from, list(envelope.rcpt_tos), data, message))
        return "250 Message accepted for delivery"


class SmtpSink:
    """start() / stop() keep the same port, so a test can take the mail server down and bring it back.

    `reply` set to an SMTP reply (e.g. "451 4.3.0 try again later") makes it refuse every message
    with that reply while staying up; None (the default) accepts and records them.
    """

    def __init__(self, *, port: int | None = None) -> None:
        self.port = port or free_port()
        self.reply: str | None = None
        self._messages: list[ReceivedMessage] = []
        self._lock = threading.Condition()
        self._controller: Controller | None = None

    @property
    def host(self) -> str:
        return LOOPBACK

    @property
    def running(self) -> bool:
        return self._controller is not None

    def start(self) -> Self:
        if self._controller is None:
            controller = Controller(_Handler(self), hostname=LOOPBACK, port=self.port, ready_timeout=10)
            controller.start()
            self._controller = controller
        return self

    def stop(self) -> None:
        """Connections are refused until start() again."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def messages(self) -> list[ReceivedMessage]:
        with self._lock:
            return list(self._messages)

    def clear(self) -> None:
        with self._lock:
            self._messages.clear()

    def wait_for(self, count: int, timeout_s: float = 10) -> list[ReceivedMessage]:
        """Block until at least `count` messages arrived (for deliveries made by a worker or another process)."""
        deadline = time.monotonic() + timeout_s
        with self._lock:
            while len(self._messages) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"expected {count} messages, got {len(self._messages)} in {timeout_s}s")
                self._lock.wait(remaining)
            return list(self._messages)

    def _record(self, message: ReceivedMessage) -> None:
        with self._lock:
            self._messages.append(message)
            self._lock.notify_all()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
