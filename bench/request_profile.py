"""Where one request's time goes: pyinstrument over the whole Django stack in process (middleware, auth, the
query, serialisation), for the event list anonymous (uncached) and signed in, and the event detail.

    .venv/bin/python bench/request_profile.py [--events 3000] [--requests 200] [--path /api/v1/events?page_size=50]

Starts a private PostgreSQL (or BENCH_DATABASE_URL), seeds it, and prints pyinstrument's call tree of each
endpoint (frames under 2 % hidden) and the mean time per request. The anonymous requests get a fresh cache key
each time, as in bench/endpoints.py's uncached run.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import stack  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--path", action="append", help="profile only these paths (signed in)")
    args = parser.parse_args()
    with contextlib.ExitStack() as exits:
        stack.django_on_private_servers(exits, "profile")
        _profile(args)
    return 0


def _profile(args: argparse.Namespace) -> None:
    from django.core.management import call_command
    from django.test import Client
    from ninja_jwt.tokens import RefreshToken
    from pyinstrument import Profiler

    from mutiroes.accounts.models import User
    from mutiroes.api.auth import TOKEN_VERSION_CLAIM
    from mutiroes.events.models import Event

    if Event.objects.count() < args.events:
        call_command("seed", scale=args.events - Event.objects.count(), stdout=io.StringIO())
    user = User.objects.order_by("pk").first()
    refresh = RefreshToken.for_user(user)
    refresh[TOKEN_VERSION_CLAIM] = user.token_version
    signed_in = Client(HTTP_AUTHORIZATION=f"Bearer {refresh.access_token}", HTTP_HOST="127.0.0.1")
    anonymous = Client(HTTP_HOST="127.0.0.1")
    event_id = Event.objects.filter(status="published", is_public=True).values_list("pk", flat=True).first()
    cases = [(path, signed_in) for path in args.path] if args.path else [
        ("/api/v1/events?page_size=50&starts_after=2000-01-01T00:00:00.{i:06d}Z", anonymous),
        ("/api/v1/events?page_size=50", signed_in),
        (f"/api/v1/events/{event_id}", signed_in),
        ("/liveness", anonymous),
    ]  # fmt: skip
    for path, client in cases:
        for i in range(5):
            client.get(path.format(i=10**5 + i))
        profiler = Profiler(interval=0.0005)
        started = time.perf_counter()
        with profiler:
            for i in range(args.requests):
                response = client.get(path.format(i=i))
                assert response.status_code == 200, (path, response.status_code, response.content[:200])
        mean_ms = (time.perf_counter() - started) * 1000 / args.requests
        print(f"\n===== {path}  ({'signed in' if client is signed_in else 'anonymous'}): {mean_ms:.1f} ms a request")
        print(profiler.output_text(unicode=True, color=False, show_all=False, timeline=False))


if __name__ == "__main__":
    raise SystemExit(main())
