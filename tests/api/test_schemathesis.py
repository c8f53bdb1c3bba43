"""Property-based runs over /api/openapi.json, in process (WSGI), signed in as a real user, with every check.

Every operation gets schema-valid (positive) and schema-violating (negative) requests, from the examples,
coverage and fuzzing phases; then the stateful phase follows the schema's links (create an event, then join
it, list its participants, add a resource and pledge to it...). Whatever comes back must pass all of
Schemathesis's checks: no server error, a documented status, a body, media type and headers that match the
schema, auth enforced where it is declared, schema-violating data refused, schema-valid data accepted, deleted
objects gone. The one exception is a schema-valid request refused by a rule JSON Schema cannot express, listed
in RULES below and in docs/api.md ("What the schema cannot say").

Random ids mostly hit nothing, so positive cases are aimed at real rows two times out of three: the caller's
own event (organiser routes), someone else's event they joined, an event already under way (reports), and
the participation, resource and comment on them. Deselect with `-m "not schemathesis"`; `make test` runs it.
"""

from __future__ import annotations

import json
import zlib
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.cache import caches
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from mutiroes.accounts.models import User
from mutiroes.core import clock
from mutiroes.events.models import Category, Comment, Event, Resource

pytestmark = [pytest.mark.schemathesis, pytest.mark.django_db(transaction=True)]

# Per operation and phase; with ~65 operations the stateless run stays under two minutes on 2 cores.
MAX_EXAMPLES = 10
# Scenarios of linked calls, each at most STEPS long; under a minute on 2 cores.
SCENARIOS, STEPS = 80, 8
# Fixed: a failure reproduces run after run. Change it locally to explore other inputs.
SEED = 20240605

# Schema-valid requests the server may refuse, by error code: what JSON Schema cannot say (docs/api.md lists the
# same). A 422 passes only with one of these codes and, for `validation_error`, only with one of these messages:
# the service's own, or pydantic's "invalid input" when every field's message is a rule listed in FIELD_RULES.
RULES: dict[str, set[str] | None] = {
    # Known only to the server: its own signed links, the caller's password, a key already used.
    "invalid_reset_token": None,
    "invalid_verification_token": None,
    "invalid_unsubscribe_token": None,
    "wrong_password": None,
    "idempotency_key_reused": None,
    # Django's password validators: too common, all digits, too like the username or the e-mail.
    "weak_password": None,
    # A photo is checked by its content (415), whatever its part's Content-Type says.
    "unsupported_image": None,
    "validation_error": {
        "invalid event",  # end after start, deadline not after start, min_age <= max_age, an existing category
        "cannot publish an event in the past",
        "a published event cannot move into the past",
        "recyclables are part of the trash collected",
        "unknown parent comment",
        "replies go one level deep",
        "that comment was removed",
        "invalid period",  # the monthly report of a month that has not ended
        "invalid username",  # what NFKC makes of the name must still be a username
        "a photo is from before or after the event, not both",
    },
}
# Rules over one field that JSON Schema has no keyword for: bounds on a date or a time, "not in the future", an
# e-mail address that can receive mail (email-validator refuses reserved domains such as .test that `format: email`
# allows). Matched at the start of the message.
FIELD_RULES = (
    "value is not a valid email address",
    "must not be in the future",
    "must be on or after 1900-01-01",
    "must be on or after 1900-01-01 and on or before 2200-12-31",
    "must be between the years 1970 and 2200",
    "'from' must not be after 'to'",
    "send either code (participant) or user_id (organiser)",
    "String should match pattern '^[\\w.@+-]+$'",  # a username: \w of any script, which ECMA-262's \w is not
)


def _refused_by_a_documented_rule(response: Any) -> bool:
    if response.status_code not in (415, 422):
        return False
    try:
        body = json.loads(response.content)
    except ValueError:
        return False
    if body.get("code") not in RULES:
        return False
    messages = RULES[body["code"]]
    if messages is None or body.get("message") in messages:
        return True
    fields = body.get("details", {}).get("fields", {})
    return body.get("message") == "invalid input" and all(
        message.startswith(FIELD_RULES) for field in fields.values() for message in field
    )


def positive_data_acceptance_but_documented_rules(ctx: Any, response: Any, case: Any) -> bool | None:
    if _refused_by_a_documented_rule(response):
        return None
    return positive_data_acceptance(ctx, response, case)


class World:
    """The caller and rows worth hitting; rebuilt when a generated DELETE /users/me erased the caller."""

    def __init__(self, user_factory: Any, event_factory: Any, participation_factory: Any, api_client: Any) -> None:
        self._user_factory = user_factory
        self._event_factory = event_factory
        self._participation_factory = participation_factory
        self._api_client = api_client
        self._build()

    def _build(self) -> None:
        self.user: User = self._user_factory(first_name="Schema", last_name="Thesis")
        own = self._event_factory(organizer=self.user, requires_approval=True)
        joined = self._event_factory()
        started = clock.now() - timedelta(hours=1)
        under_way = self._event_factory(organizer=self.user, start_date=started, end_date=started + timedelta(hours=4))
        self._participation_factory(event=joined, user=self.user)
        applicant = self._participation_factory(event=own, status="pending")
        resource = Resource.objects.create(event=own, name="Sacos de lixo", quantity_needed=Decimal("50"), unit="un")
        comment = Comment.objects.create(event=joined, author=self.user, content="Levo luvas extras.")
        self._event_factory(organizer=self.user, status=Event.Status.DRAFT)
        self.ids = {
            "event_id": [own.pk, joined.pk, under_way.pk],
            "participation_id": [applicant.pk],
            "resource_id": [resource.pk],
            "comment_id": [comment.pk],
            "username": [self.user.username, applicant.user.username],
        }

    def token(self) -> str:
        if not User.objects.filter(pk=self.user.pk, is_active=True).exists():
            self._build()
        return self._api_client.token_for(self.user)

    def make_valid_event(self, case: Any) -> None:
        """A created event that the server takes, so that the stateful phase follows the links from it.

        Generated bodies name categories that do not exist and end before they start: almost every POST /events
        would be refused, and nothing would be joined, reported on or deleted after it. (The stateless phases
        fuzz this body as generated.)
        """
        if case.operation.label != "POST /api/v1/events" or not isinstance(case.body, dict):
            return
        start = clock.now() + timedelta(days=7)
        category = Category.objects.order_by("pk").first()
        case.body.update(category_id=category.pk, start_date=start.isoformat(),
                         end_date=(start + timedelta(hours=3)).isoformat(), registration_deadline=None,
                         min_age=None, max_age=None)  # fmt: skip

    def aim(self, case: Any) -> None:
        """Point a positive case's path parameters at real rows (chosen from the generated value: reproducible)."""
        if case.meta is None or case.meta.generation.mode != GenerationMode.POSITIVE or not case.path_parameters:
            return
        for name, value in case.path_parameters.items():
            candidates = self.ids.get(name)
            pick = zlib.crc32(str(value).encode()) % (len(candidates) + 1) if candidates else 0
            if pick:
                case.path_parameters[name] = candidates[pick - 1]


_world: list[World] = []  # the current test's, for the auth provider (Schemathesis instantiates it itself)


@pytest.fixture
def world(user_factory, event_factory, participation_factory, api_client, category_factory):
    category_factory(slug="plantio")
    event_factory(status=Event.Status.DRAFT)  # someone else's draft: invisible to the caller, never a 500
    _world[:] = [World(user_factory, event_factory, participation_factory, api_client)]
    yield _world[0]
    _world.clear()


# Loaded at collection, in process: the schema is the app's own, no server to start.
schema = schemathesis.openapi.from_wsgi(
    "/api/openapi.json",
    get_wsgi_application(),
    config=schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "generation": {"mode": "all", "max-examples": MAX_EXAMPLES},
            # Only the schema's own links: the inferred ones (a category id taken for an event id...) end in 404s.
            "phases": {"stateful": {"inference": {"algorithms": []}}},
        }
    ),
)


# Given through Schemathesis rather than as headers, so that it leaves the token out where it tests a missing or
# wrong one (the ignored_auth check, negative Authorization headers). Never cached: each test has its own user.
@schema.auth(refresh_interval=None)
class WorldToken:
    def get(self, case: Any, ctx: Any) -> str | None:
        return _world[0].token() if _world else None  # None while collecting: no test, no user yet

    def set(self, case: Any, data: str, ctx: Any) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


CHECKS = {
    "excluded_checks": [positive_data_acceptance],
    "additional_checks": [positive_data_acceptance_but_documented_rules],
}


@schema.parametrize()
# Fixtures are per operation, not per example, on purpose: rows accumulate as on a real server. No deadline
# and no slowness health checks: a loaded 2-core CI machine makes them flaky, and speed is not measured here.
@settings(deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_openapi_schema(case, world):
    world.aim(case)
    case.call_and_validate(**CHECKS)


class Workflow(schema.as_state_machine()):
    """Each scenario starts from the same rows and counters and leaves nothing behind.

    Hypothesis replays a scenario's choices (to shrink a failure, or to explore from a known prefix) and refuses
    to go on if a call answers differently the second time; a user registered, an event deleted or a throttle
    counted by an earlier scenario would do just that. So a scenario runs in a transaction rolled back at its end,
    with the cache emptied before it.
    """

    def setup(self) -> None:
        caches["default"].clear()
        self._scenario = transaction.atomic()
        self._scenario.__enter__()

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._scenario.__exit__(None, None, None)

    def before_call(self, case: Any) -> None:
        if case.meta is None or case.meta.generation.mode == GenerationMode.POSITIVE:
            _world[0].make_valid_event(case)

    def validate_response(self, response: Any, case: Any, additional_checks: Any = None, **kwargs: Any) -> None:
        case.validate_response(response, transport_kwargs=kwargs or None, recorder=self.recorder, **CHECKS)


@pytest.fixture
def one_connection_per_test():
    """As Django's test client does: the end of a request must not close the connection holding the scenario."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def test_linked_calls_conform_to_the_schema(world, one_connection_per_test):
    """The stateful phase: scenarios that follow the links from what a call created to what hangs off it."""
    Workflow.run(
        settings=settings(
            max_examples=SCENARIOS,
            stateful_step_count=STEPS,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
    )
