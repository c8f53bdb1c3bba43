"""PostgreSQL stopped under write load (docs/reliability.md, scenarios 13 and 15), against the API as deployed.

gunicorn with 2 workers, a private PostgreSQL and a real Redis cache. While the database is down every
answer is a quick 503 JSON with Retry-After, the `database` breaker opens (and /health says so),
/liveness stays 200 without touching the database, the public event list is served stale from the last
good copy; nothing half-written is left behind; once PostgreSQL is back the API recovers on its own.
"""

from __future__ import annotations

import itertools
import statistics
import threading
import time
import uuid
from typing import Any

import pytest

from tests.resilience.api_data import Account, category_id, create_events, event_body, register, register_many
from tests.resilience.stack import OPERATOR_TOKEN, Answer, Http, frozen
from tests.support.polling import wait_for

pytestmark = pytest.mark.system

CONNECT_TIMEOUT_S = 2
STATEMENT_TIMEOUT_MS = 3000
# A request during the outage may wait out one connect timeout; anything longer is a hang.
LATENCY_BOUND_S = CONNECT_TIMEOUT_S + 3
# The database breaker's recovery time (10 s in production), and an outage long enough for its probes to fail
# and open it again.
BREAKER_RECOVERY_S = 2
OUTAGE_S = 3 * BREAKER_RECOVERY_S


class WriteLoad:
    """Joins (and, every 8th request, event creations) in a loop from a thread, each with an Idempotency-Key."""

    def __init__(self, http: Http, volunteers: list[Account], events: list[int], organizer: Account, category: int):
        self.http, self.organizer, self.category = http, organizer, category
        self.pairs = iter(itertools.product(volunteers, events))
        self.answers: list[Answer] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="write-load", daemon=True)

    def start(self) -> WriteLoad:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=60)
        assert not self._thread.is_alive(), "the write load did not stop: a request hangs"

    def _run(self) -> None:
        for n in itertools.count():
            if self._stop.is_set():
                return
            pair = next(self.pairs, None) if n % 8 != 7 else None
            if pair is None:  # every 8th request, and all of them once every volunteer joined every event
                run = uuid.uuid4().hex[:10]  # keys are printable ASCII (a header), titles need not be
                body = event_body(self.category, f"Mutirão sob carga {run}")
                self.answers.append(self.create(body, key=f"create-{run}"))
            else:
                volunteer, event_id = pair
                self.answers.append(self.join(volunteer, event_id, key=f"join-{volunteer.id}-{event_id}"))
            time.sleep(0.04)

    def join(self, volunteer: Account, event_id: int, *, key: str) -> Answer:
        return self.http.post(
            f"/api/v1/events/{event_id}/join", {}, token=volunteer.token, headers={"Idempotency-Key": key},
            volunteer=volunteer, event_id=event_id, key=key,
        )  # fmt: skip

    def create(self, body: dict[str, Any], *, key: str) -> Answer:
        return self.http.post("/api/v1/events", body, token=self.organizer.token, headers={"Idempotency-Key": key},
                              title=body["title"], body=body, key=key)  # fmt: skip

    def successes_since(self, moment: float) -> list[Answer]:
        return [a for a in list(self.answers) if a.started >= moment and a.status in (200, 201)]

    def consecutive_successes(self) -> int:
        count = 0
        for answer in reversed(list(self.answers)):
            if answer.status not in (200, 201):
                break
            count += 1
        return count


def _assert_unavailable(answer: Answer) -> None:
    assert answer.status == 503, (answer.method, answer.path, answer.status, answer.body, answer.error)
    assert answer.headers.get("Content-Type", "").startswith("application/json"), answer.headers
    assert set(answer.body) == {"code", "message", "details"}, answer.body
    assert answer.code == "database_unavailable", answer.body
    assert int(answer.headers["Retry-After"]) >= 1, answer.headers


def _health(http: Http) -> Answer:
    return http.get("/health", token=OPERATOR_TOKEN, timeout_s=LATENCY_BOUND_S + 5)


def test_postgres_stopped_under_write_load(start_api, api_database, redis_server, figures):
    api = start_api(
        DB_CONNECT_TIMEOUT_S=str(CONNECT_TIMEOUT_S),
        DB_STATEMENT_TIMEOUT_MS=str(STATEMENT_TIMEOUT_MS),
        CACHE_URL=redis_server.url(1),
        # Fresh copies expire at once, so the list read during the outage needs the last good copy.
        CACHE_HOT_TTL_S="1",
        DATABASE_BREAKER_RECOVERY_S=str(BREAKER_RECOVERY_S),
    )
    http = Http(api.base_url)
    organizer = register(http, "organizadora")
    events = create_events(http, organizer, 12, prefix="Mutirão da represa")
    volunteers = register_many(http, "voluntaria", 30)
    assert _health(http).status == 200

    # -- a database that stops answering at all (hung, not down): /liveness must not notice ----------
    with frozen(api_database):
        # Any database work would wait here: the connect timeout for a new connection, forever on an open one.
        paused = [http.get("/liveness", timeout_s=3) for _ in range(6)]
    assert [a.status for a in paused] == [200] * 6, [(a.status, a.error) for a in paused]
    assert max(a.latency_s for a in paused) < 1.0, [a.latency_s for a in paused]

    # -- write load, then the database stops --------------------------------------------------------
    load = WriteLoad(http, volunteers, events, organizer, category_id(http)).start()
    wait_for(lambda: len(load.successes_since(0)) >= 15, timeout_s=30, what="writes succeeding before the outage")
    last_good = http.get("/api/v1/events")  # the list as it is now becomes the last good copy
    assert last_good.status == 200 and last_good.headers.get("X-Cache") == "miss", last_good.headers
    api_database.stop(mode="immediate")
    down_at = time.monotonic()

    liveness = [http.get("/liveness", timeout_s=3) for _ in range(5)]
    readiness = http.get("/readiness", timeout_s=LATENCY_BOUND_S + 5)
    time.sleep(max(0.0, last_good.ended + 1.5 - time.monotonic()))  # the fresh copy has expired
    stale = http.get("/api/v1/events", timeout_s=LATENCY_BOUND_S + 5)
    health_down = wait_for(
        lambda: (h := _health(http)).status == 503 and h.body["breakers"]["database"]["state"] != "closed" and h,
        timeout_s=15, what="/health showing the database breaker open",
    )  # fmt: skip
    time.sleep(max(0.0, OUTAGE_S - (time.monotonic() - down_at)))
    liveness += [http.get("/liveness", timeout_s=3) for _ in range(5)]

    # -- the database comes back: no restart of the API --------------------------------------------
    api_database.start()
    up_at = time.monotonic()
    health_up = wait_for(lambda: (h := _health(http)).status == 200 and h, timeout_s=40, what="/health 200 again")
    health_recovery_s = time.monotonic() - up_at
    wait_for(lambda: load.consecutive_successes() >= 12, timeout_s=40, what="writes succeeding again")
    load.stop()
    after_up = [a for a in load.answers if a.started >= up_at]
    first_write_s = min(a.ended for a in after_up if a.status in (200, 201)) - up_at
    failed_after_up = [a for a in after_up if a.status not in (200, 201)]
    writes_recovery_s = max((a.ended for a in failed_after_up), default=up_at) - up_at

    # -- every answer during the outage: a quick 503 JSON with Retry-After --------------------------
    during = [a for a in load.answers if a.ended >= down_at and a.started < up_at]
    unavailable = [a for a in load.answers if a.status == 503]
    assert during and all(a.status is not None for a in load.answers), [a.error for a in load.answers if a.error]
    assert {a.status for a in load.answers} <= {200, 201, 503}, sorted({a.status for a in load.answers})
    for answer in during + failed_after_up:
        _assert_unavailable(answer)
    max_latency = max(a.latency_s for a in during)
    assert max_latency < LATENCY_BOUND_S, max_latency

    assert all(a.status == 200 for a in liveness), [(a.status, a.error) for a in liveness]
    assert max(a.latency_s for a in liveness) < 1.0, [a.latency_s for a in liveness]
    assert readiness.status == 503 and readiness.body["checks"]["database"]["status"] == "down", readiness.body
    assert int(readiness.headers["Retry-After"]) >= 1

    assert health_down.body["status"] == "unavailable" and int(health_down.headers["Retry-After"]) >= 1
    assert health_down.body["checks"]["database"]["status"] == "down"
    assert health_down.body["breakers"]["database"]["state"] in {"open", "half_open"}
    assert health_down.body["breakers"]["database"]["opened_at"] is not None
    assert health_up.body["checks"]["database"]["status"] == "ok"
    assert health_up.body["breakers"]["database"]["state"] == "closed"

    # The public list, from the last good copy, marked stale.
    assert stale.status == 200, (stale.status, stale.body)
    assert stale.headers.get("Mutiroes-Stale") == "true", stale.headers
    assert stale.body == last_good.body
    fresh = http.get("/api/v1/events")
    assert fresh.status == 200 and "Mutiroes-Stale" not in fresh.headers

    # -- nothing half-written, nothing acknowledged lost; a client retry finishes the job once ------
    retried = [_retry(load, a) for a in unavailable]
    assert all(r.status in (200, 201) for r in retried), [(r.status, r.body) for r in retried if r.status != 201]
    _assert_one_of_each(api_database, load.answers)

    figures(
        f"{len(load.answers)} writes ({len(during)} during the {OUTAGE_S} s outage, {len(unavailable)} answered 503);"
        f" 503 latency median {statistics.median(a.latency_s for a in during) * 1000:.0f} ms,"
        f" max {max_latency * 1000:.0f} ms (bound {LATENCY_BOUND_S} s); /liveness max"
        f" {max(a.latency_s for a in liveness + paused) * 1000:.0f} ms, also with PostgreSQL frozen (SIGSTOP)"
    )
    figures(
        f"after PostgreSQL returned: first write ok {first_write_s:.1f} s, last 503 {writes_recovery_s:.1f} s,"
        f" /health 200 {health_recovery_s:.1f} s (breaker recovery {BREAKER_RECOVERY_S} s); {len(retried)} 503'd"
        f" writes retried"
        f" with their Idempotency-Key: all succeeded, each once"
    )


def _retry(load: WriteLoad, answer: Answer) -> Answer:
    """What a client does with a 503: the same request again with the same Idempotency-Key.

    Once, and it must succeed: a request cut off by the outage left no half-done work that would make
    the retry wait ("still in progress") or create a second object.
    """
    if "title" in answer.tag:
        return load.create(answer.tag["body"], key=answer.tag["key"])
    return load.join(answer.tag["volunteer"], answer.tag["event_id"], key=answer.tag["key"])


def _assert_one_of_each(cluster: Any, answers: list[Answer]) -> None:
    """Each write asked for exists exactly once, with its outbox row in the same transaction."""
    with cluster.connect() as conn:
        participations = conn.execute(
            "SELECT p.user_id, p.event_id, count(o.id) FROM events_participation p"
            " LEFT JOIN notifications_outboxmessage o ON o.kwargs->>'kind' = 'registration'"
            " AND (o.kwargs->>'user_id')::int = p.user_id"
            " AND (o.kwargs->>'event_id')::int = p.event_id GROUP BY p.id"
        ).fetchall()
        titles = dict(conn.execute(
            "SELECT title, count(*) FROM events_event WHERE title LIKE 'Mutirão sob carga %' GROUP BY title"
        ).fetchall())  # fmt: skip
    joined = {(a.tag["volunteer"].id, a.tag["event_id"]) for a in answers if "event_id" in a.tag}
    created = {a.tag["title"] for a in answers if "title" in a.tag}
    rows = {(user_id, event_id) for user_id, event_id, _ in participations}
    assert len(rows) == len(participations)  # UNIQUE (event, user) holds
    assert rows == joined
    assert all(outbox == 1 for _, _, outbox in participations), [p for p in participations if p[2] != 1]
    assert titles == dict.fromkeys(created, 1)
