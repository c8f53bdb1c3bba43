"""`mutiroes seed --scale N`: realistic data at scale, for benchmarks and for trying the product with volume.

N events over Brazilian cities (real coordinates, every status), about N/2 volunteers with profiles, ten
participations per event on average in every status (check-ins on past events), reports on completed events
and comments. Rows go in with batched multi-row INSERTs; the stored participant counts are set at the end in one
UPDATE, as the migration that introduced them does. Every seeded account has the demo password.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator, Sequence
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandParser
from django.db import connection, transaction

from mutiroes.accounts.models import Profile, User
from mutiroes.core import clock
from mutiroes.events import services
from mutiroes.events.models import Category, Comment, Event, Participation
from mutiroes.impact.models import EventReport

PASSWORD = "mutirao-demo-2026"
BATCH = 5000
CITIES = [
    ("São Paulo", "SP", -23.5505, -46.6333), ("Rio de Janeiro", "RJ", -22.9068, -43.1729),
    ("Belo Horizonte", "MG", -19.9167, -43.9345), ("Brasília", "DF", -15.7939, -47.8828),
    ("Salvador", "BA", -12.9777, -38.5016), ("Recife", "PE", -8.0476, -34.877),
    ("Fortaleza", "CE", -3.7319, -38.5267), ("Curitiba", "PR", -25.4284, -49.2733),
    ("Porto Alegre", "RS", -30.0346, -51.2177), ("Manaus", "AM", -3.119, -60.0217),
    ("Belém", "PA", -1.4558, -48.4902), ("Florianópolis", "SC", -27.5954, -48.548),
    ("Goiânia", "GO", -16.6869, -49.2648), ("São Luís", "MA", -2.5307, -44.3068),
    ("Natal", "RN", -5.7945, -35.211), ("Campinas", "SP", -22.9099, -47.0626),
    ("Vitória", "ES", -20.3155, -40.3128), ("João Pessoa", "PB", -7.1195, -34.845),
    ("Maceió", "AL", -9.6658, -35.735), ("Cuiabá", "MT", -15.601, -56.0974),
]  # fmt: skip
TITLES = ["Limpeza da praia", "Plantio de mudas nativas", "Monitoramento do rio", "Oficina de compostagem",
          "Limpeza do parque", "Mutirão no córrego", "Horta comunitária", "Coleta de recicláveis"]  # fmt: skip
EVENT_STATUSES = [("published", 70), ("completed", 15), ("draft", 8), ("cancelled", 7)]
PARTICIPATION_STATUSES = [("confirmed", 70), ("pending", 8), ("waitlisted", 8), ("cancelled", 10), ("rejected", 4)]


class Command(BaseCommand):
    help = "Load N events (and users, participations, check-ins, reports, comments) for benchmarks."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", type=int, default=1000, help="number of events (default 1000)")
        parser.add_argument("--per-event", type=int, default=10, help="participations per event, on average")
        parser.add_argument("--random-seed", type=int, default=2026)

    def handle(self, *args: Any, scale: int, per_event: int, random_seed: int, **options: Any) -> None:
        rng = random.Random(random_seed)
        started = time.monotonic()
        tag = f"{int(time.time()):x}"  # seeds can be run again: usernames stay unique
        categories = list(Category.objects.all())
        users = self._users(rng, tag, max(50, scale // 2))
        events = self._events(rng, tag, scale, users, categories)
        self._participations(rng, events, users, per_event)
        self._extras(rng, events, users)
        with transaction.atomic():
            if connection.vendor == "postgresql":
                # One UPDATE over every event: on a loaded machine it can outlast the requests' statement timeout.
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL statement_timeout = 0")
            services.events_recount_all()
        self.stdout.write(f"seeded {scale} events and {len(users)} users in {time.monotonic() - started:.1f} s")

    def _users(self, rng: random.Random, tag: str, count: int) -> list[int]:
        password = make_password(PASSWORD)  # one hash for every account: hashing 50,000 times would take minutes
        verified = clock.now()
        rows = (
            User(
                username=f"v{tag}_{i}",
                email=f"v{tag}_{i}@example.org",
                password=password,
                first_name=f"Voluntária {i}",
                email_verified_at=verified,
            )
            for i in range(count)
        )
        ids = [u.pk for u in self._insert(User, rows, count, "users")]
        city = [rng.choice(CITIES) for _ in ids]
        profiles = (Profile(user_id=uid, city=c[0], state=c[1]) for uid, c in zip(ids, city, strict=True))
        self._insert(Profile, profiles, count, "profiles")
        return ids

    def _events(
        self, rng: random.Random, tag: str, count: int, users: Sequence[int], categories: Sequence[Category]
    ) -> list[Event]:
        now = clock.now()
        statuses = [s for s, weight in EVENT_STATUSES for _ in range(weight)]

        def row(i: int) -> Event:
            status = rng.choice(statuses)
            days = rng.uniform(-365, -1) if status == "completed" else rng.uniform(-30, 180)
            if status == "published" and days < 1:
                days = rng.uniform(1, 180)
            start = now + timedelta(days=days)
            name, uf, lat, lng = rng.choice(CITIES)
            return Event(
                title=f"{rng.choice(TITLES)} {tag}-{i}", description="Traga água, protetor solar e boa vontade.",
                category=rng.choice(categories), organizer_id=rng.choice(users), address="Ponto de encontro",
                city=name, state=uf, latitude=lat + rng.uniform(-0.2, 0.2), longitude=lng + rng.uniform(-0.2, 0.2),
                start_date=start, end_date=start + timedelta(hours=rng.choice([2, 3, 4])),
                max_participants=rng.choice([10, 20, 30, 50, 100]), status=status,
                is_public=rng.random() > 0.05, requires_approval=rng.random() < 0.15,
                cancelled_at=now if status == "cancelled" else None,
            )  # fmt: skip

        return self._insert(Event, (row(i) for i in range(count)), count, "events")

    def _participations(
        self, rng: random.Random, events: Sequence[Event], users: Sequence[int], per_event: int
    ) -> None:
        statuses = [s for s, weight in PARTICIPATION_STATUSES for _ in range(weight)]

        def rows() -> Iterator[Participation]:
            for event in events:
                if event.status == "draft":
                    continue
                for user_id in rng.sample(users, min(len(users), rng.randint(0, 2 * per_event))):
                    status = rng.choice(statuses)
                    checked = event.status == "completed" and status == "confirmed" and rng.random() < 0.8
                    yield Participation(
                        event=event, user_id=user_id, status=status, registered_at=event.start_date - timedelta(days=7),
                        checked_in_at=event.start_date + timedelta(minutes=10) if checked else None,
                    )  # fmt: skip

        self._insert(Participation, rows(), len(events) * per_event, "participations")

    def _extras(self, rng: random.Random, events: Sequence[Event], users: Sequence[int]) -> None:
        completed = [e for e in events if e.status == "completed"]
        reports = (
            EventReport(
                event=e,
                participants=rng.randint(3, 60),
                hours=Decimal(rng.choice([2, 3, 4])),
                trash_kg=Decimal(rng.randint(200, 800)),
                recyclable_kg=Decimal(rng.randint(0, 200)),
                trees_planted=rng.choice([0, 0, 10, 50]),
                area_m2=Decimal(rng.randint(100, 20000)),
                summary="Relatório gerado pelo seed.",
                filed_by_id=e.organizer_id,
            )  # fmt: skip
            for e in completed
        )
        self._insert(EventReport, reports, len(completed), "reports")
        published = [e for e in events if e.status == "published"]
        comments = (
            Comment(event=e, author_id=rng.choice(users), content="Vou levar luvas!")
            for e in rng.sample(published, min(len(published), len(events) // 5))
        )
        self._insert(Comment, comments, len(events) // 5, "comments")

    def _insert(self, model: Any, rows: Iterator[Any], expected: int, label: str) -> list[Any]:
        """Batched INSERTs with a progress line; returns the rows with their ids."""
        done: list[Any] = []
        batch: list[Any] = []
        for row in rows:
            batch.append(row)
            if len(batch) == BATCH:
                done += model.objects.bulk_create(batch)
                batch = []
                self._progress(label, len(done), expected)
        if batch:
            done += model.objects.bulk_create(batch)
        self._progress(label, len(done), expected, end="\n")
        return done

    def _progress(self, label: str, done: int, expected: int, end: str = "") -> None:
        width = 30
        filled = min(width, width * done // max(expected, 1))
        self.stdout.write(f"\r{label:<15} [{'#' * filled}{'.' * (width - filled)}] {done:>9,}", ending=end)
        self.stdout.flush()
