"""docs/reliability.md, scenario 16: SIGKILL one of three replicas under load.

In-flight and later GETs are retried by nginx on another replica (proxy_next_upstream), so the clients see no
error; the dead replica leaves rotation after max_fails. A POST that reached the killed replica is not replayed
by nginx (non_idempotent is off): the client gets a 503 and retries with the same Idempotency-Key, and exactly
one object exists.
"""

from __future__ import annotations

import threading
import time
from collections import Counter

import psycopg
import pytest
from django.db import connection
from ninja_jwt.tokens import RefreshToken

from mutiroes.events.models import Event
from tests.gateway.support import request
from tests.support.api import event_payload
from tests.support.polling import wait_for
from tests.support.processes import database_url

pytestmark = [pytest.mark.system, pytest.mark.django_db(transaction=True)]

LOAD_THREADS = 4
LOAD_SECONDS_BEFORE, LOAD_SECONDS_AFTER = 1.5, 3.0
MAX_FAILS, FAIL_TIMEOUT_S = 3, 10  # deploy/nginx/render.py defaults, rendered into upstreams.conf


class GetLoad:
    """Threads sending authenticated GETs (never served from nginx's cache), each from its own addresses."""

    def __init__(self, stack, token: str) -> None:
        self.stack, self.token = stack, token
        self.outcomes: list[tuple[float, int | str]] = []
        self._stop = threading.Event()
        # Many source addresses: the load must not run into the per-address rate limit (10 r/s).
        self._addresses = stack.addresses.take(200)
        self._threads = [threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(LOAD_THREADS)]
        self._lock = threading.Lock()

    def _run(self, index: int) -> None:
        n = index
        while not self._stop.is_set():
            source = self._addresses[n % len(self._addresses)]
            n += LOAD_THREADS
            try:
                outcome: int | str = request(self.stack.port, "GET", "/api/v1/events?page_size=5", source=source,
                                             token=self.token, timeout_s=20).status  # fmt: skip
            except OSError as exc:
                outcome = type(exc).__name__
            with self._lock:
                self.outcomes.append((time.monotonic(), outcome))

    def __enter__(self) -> GetLoad:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)


def test_get_load_survives_sigkill_of_one_replica(stack, user_factory, event_factory, figures):
    event_factory.create_batch(3)
    token = str(RefreshToken.for_user(user_factory()).access_token)
    victim = stack.backends[0]
    errors_before = stack.gateway.error_log_text()

    with GetLoad(stack, token) as load:
        time.sleep(LOAD_SECONDS_BEFORE)
        killed_at = time.monotonic()
        victim.kill()
        time.sleep(LOAD_SECONDS_AFTER)

    statuses = Counter(outcome for _, outcome in load.outcomes)
    after_kill = [outcome for at, outcome in load.outcomes if at >= killed_at]
    total = len(load.outcomes)
    assert total >= 50, statuses  # enough load to mean something
    assert len(after_kill) >= 20, statuses
    assert statuses == Counter({200: total}), statuses

    # nginx saw the dead replica refuse (or drop) connections and retried those requests elsewhere; after
    # max_fails failures it stopped trying it for fail_timeout.
    new_errors = stack.gateway.error_log_text()[len(errors_before) :]
    # "connect() failed (111: Connection refused)" for new requests, "upstream prematurely closed connection"
    # or "recv() failed" for those in flight at the kill: each a failed try, retried on another replica.
    refused = [line for line in new_errors.splitlines() if victim.address in line and "disabled" not in line]
    disabled = [line for line in new_errors.splitlines() if "upstream server temporarily disabled" in line]
    assert refused, new_errors[-2000:]
    windows = 1 + int(LOAD_SECONDS_AFTER // FAIL_TIMEOUT_S)
    assert len(refused) <= MAX_FAILS * windows + LOAD_THREADS, refused  # + requests already on their way
    assert disabled, new_errors[-2000:]
    rate = statuses[200] / total
    figures(f"{total} GETs ({len(after_kill)} after the SIGKILL), success {rate:.1%}; nginx tried the dead replica "
            f"{len(refused)} time(s) (each retried elsewhere), then took it out of rotation")  # fmt: skip


def _blocked_sessions() -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT application_name, wait_event_type FROM pg_stat_activity"
            " WHERE datname = current_database() AND application_name LIKE 'gw-backend-%%'"
            " AND wait_event_type = 'Lock'"
        )
        return cursor.fetchall()


def test_post_on_a_killed_replica_is_not_replayed_and_the_idempotent_retry_creates_one_object(
    stack, user_factory, category_factory, figures
):
    organizer = user_factory()
    token = str(RefreshToken.for_user(organizer).access_token)
    category = category_factory()
    body = event_payload(title="Mutirão do Capibaribe", category_id=category.pk)
    key = "criar-capibaribe-1"
    source = stack.addresses.one()
    headers = {"Idempotency-Key": key}
    by_name = {backend.app_name: backend for backend in stack.backends}

    # Hold the category row: inserting an event checks its foreign key (FOR KEY SHARE) and waits, so the POST
    # is caught in flight inside one replica.
    holder = psycopg.connect(database_url())
    first: dict[str, object] = {}
    try:
        holder.execute("SELECT id FROM events_category WHERE id = %s FOR UPDATE", [category.pk])
        thread = threading.Thread(
            target=lambda: first.setdefault(
                "reply",
                request(
                    stack.port,
                    "POST",
                    "/api/v1/events",
                    source=source,
                    token=token,
                    json_body=body,
                    headers=headers,
                    timeout_s=30,
                ),  # fmt: skip
            ),
            daemon=True,
        )
        thread.start()
        [(app_name, _)] = wait_for(_blocked_sessions, timeout_s=15, what="the POST waiting in a replica")
        by_name[app_name].kill()
        thread.join(timeout=20)
        # nginx did not send the POST to another replica: nothing else is waiting on the row.
        time.sleep(0.5)
        assert [name for name, _ in _blocked_sessions() if name != app_name] == []
    finally:
        holder.rollback()
        holder.close()

    reply = first["reply"]
    assert reply.status == 503, reply  # not replayed: the client learns the request may not have happened
    assert reply.json()["code"] == "service_unavailable"
    assert reply.header("Retry-After") == "5"

    # The client retries with the same key. While the dead replica's database session still holds the key's
    # row, the API says 409 (in progress); PostgreSQL ends that session when it finds its client gone.
    attempts: list[int] = []

    def retry() -> object:
        again = request(stack.port, "POST", "/api/v1/events", source=source, token=token, json_body=body,
                        headers=headers)  # fmt: skip
        attempts.append(again.status)
        return again if again.status == 201 else None

    created = wait_for(retry, timeout_s=30, what="the retried POST to succeed", interval_s=0.5)
    replayed = request(stack.port, "POST", "/api/v1/events", source=source, token=token, json_body=body,
                       headers=headers)  # fmt: skip
    assert set(attempts) <= {201, 409, 503}, attempts
    assert replayed.status == 201
    assert replayed.header("Idempotent-Replayed") == "true"
    assert replayed.json()["id"] == created.json()["id"]
    assert Event.objects.filter(title="Mutirão do Capibaribe").count() == 1
    figures(f"POST caught in {app_name}, replica SIGKILLed: client got 503 (not replayed); retries with the same "
            f"key answered {attempts}; 1 event exists")  # fmt: skip
