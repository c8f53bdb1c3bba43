"""Notification settings: created with the user, replaced by PUT, bounded lead time, and the e-mail job's check."""

import importlib

import pytest
from django.apps import apps
from django.db import IntegrityError

from mutiroes.accounts.models import NotificationKind, NotificationSettings
from mutiroes.accounts.selectors import notification_allowed
from mutiroes.accounts.services import notification_settings_update
from mutiroes.core.exceptions import ValidationFailed

URL = "/api/v1/users/me/notification-settings"
ALL_ON = {kind: True for kind in NotificationKind.values}


def _body(**overrides):
    email = ALL_ON | overrides.pop("email", {})
    return {"email": email, "reminder_lead_hours": 24} | overrides


@pytest.mark.domain
@pytest.mark.django_db
def test_settings_are_created_with_the_user_all_on(user_factory):
    settings = NotificationSettings.objects.get(user=user_factory())
    assert all(settings.allows(kind) for kind in NotificationKind.values)
    assert settings.reminder_lead_hours == 24


@pytest.mark.django_db
def test_get_returns_defaults(user_factory, api_client):
    response = api_client.get(URL, user=user_factory())
    assert response.status_code == 200
    assert response.json() == {"email": ALL_ON, "reminder_lead_hours": 24}


@pytest.mark.django_db
def test_put_replaces_the_settings(user_factory, api_client):
    user = user_factory()
    body = _body(email={"reminder": False, "badge_earned": False}, reminder_lead_hours=48)
    response = api_client.put(URL, body, user=user)
    assert response.status_code == 200
    assert response.json() == body
    assert api_client.get(URL, user=user).json() == body
    row = NotificationSettings.objects.get(user=user)
    assert (row.email_reminder, row.email_badge_earned, row.email_update, row.reminder_lead_hours) == (
        False, False, True, 48,
    )  # fmt: skip


@pytest.mark.django_db
def test_put_of_one_user_leaves_others_alone(user_factory, api_client):
    me, other = user_factory(), user_factory()
    api_client.put(URL, _body(email={"update": False}), user=me)
    assert NotificationSettings.objects.get(user=other).email_update is True


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [
        pytest.param(_body(reminder_lead_hours=0), id="lead-0"),
        pytest.param(_body(reminder_lead_hours=169), id="lead-169"),
        pytest.param(_body(reminder_lead_hours=-5), id="lead-negative"),
        pytest.param(_body(reminder_lead_hours="abc"), id="lead-text"),
        pytest.param(_body(reminder_lead_hours=10**20), id="lead-huge"),
        pytest.param(_body(reminder_lead_hours=None), id="lead-null"),
        pytest.param({"email": ALL_ON}, id="lead-missing"),
        pytest.param({"reminder_lead_hours": 24}, id="email-missing"),
        pytest.param(_body(email={"sms": True}), id="unknown-kind"),
        pytest.param(
            {"email": {k: v for k, v in ALL_ON.items() if k != "reminder"}, "reminder_lead_hours": 24},
            id="kind-missing",
        ),  # fmt: skip
        pytest.param(_body(email={"reminder": [True]}), id="toggle-not-bool"),
        pytest.param(_body(email={"reminder": None}), id="toggle-null"),
        pytest.param(_body(user_id=1), id="extra-field"),
        pytest.param([], id="not-an-object"),
    ],
)
def test_put_rejects_bad_input(user_factory, api_client, body):
    user = user_factory()
    response = api_client.put(URL, body, user=user)
    assert response.status_code == 422, response.content
    assert response.json()["code"] == "validation_error"
    settings = NotificationSettings.objects.get(user=user)
    assert settings.reminder_lead_hours == 24 and settings.email_reminder is True


@pytest.mark.django_db
@pytest.mark.parametrize("lead", [1, 168])
def test_lead_time_bounds_are_inclusive(user_factory, api_client, lead):
    response = api_client.put(URL, _body(reminder_lead_hours=lead), user=user_factory())
    assert response.status_code == 200
    assert response.json()["reminder_lead_hours"] == lead


@pytest.mark.django_db
def test_put_with_malformed_json_is_a_4xx(user_factory, api_client):
    response = api_client.request("put", URL, data="{not json", content_type="application/json", user=user_factory())
    assert response.status_code in (400, 422)


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["get", "put"])
def test_settings_require_authentication(api_client, method):
    response = api_client.get(URL) if method == "get" else api_client.put(URL, _body())
    assert response.status_code == 401


@pytest.mark.domain
@pytest.mark.django_db
def test_database_refuses_an_out_of_range_lead_time(user_factory):
    settings = NotificationSettings.objects.get(user=user_factory())
    settings.reminder_lead_hours = 169
    with pytest.raises(IntegrityError):
        settings.save()


@pytest.mark.domain
@pytest.mark.django_db
def test_service_requires_one_toggle_per_kind(user_factory):
    with pytest.raises(ValidationFailed):
        notification_settings_update(user=user_factory(), email={"reminder": True}, reminder_lead_hours=24)
    with pytest.raises(ValidationFailed):
        notification_settings_update(user=user_factory(), email=ALL_ON, reminder_lead_hours=0)


@pytest.mark.domain
@pytest.mark.django_db
def test_notification_allowed_follows_the_toggle_per_kind(user_factory):
    user = user_factory()
    notification_settings_update(user=user, email=ALL_ON | {"reminder": False}, reminder_lead_hours=24)
    assert notification_allowed(user_id=user.pk, kind="reminder") is False
    assert notification_allowed(user_id=user.pk, kind="registration") is True
    for kind in set(NotificationKind.values) - {"reminder"}:
        assert notification_allowed(user_id=user.pk, kind=kind) is True


@pytest.mark.domain
@pytest.mark.django_db
def test_kinds_without_a_toggle_are_always_allowed(user_factory):
    user = user_factory()
    notification_settings_update(user=user, email={k: False for k in ALL_ON}, reminder_lead_hours=24)
    assert notification_allowed(user_id=user.pk, kind="monthly_report") is True
    assert notification_allowed(user_id=user.pk, kind="cancellation") is False


@pytest.mark.domain
@pytest.mark.django_db
def test_nobody_emails_inactive_or_missing_accounts(user_factory):
    inactive = user_factory(is_active=False)
    assert notification_allowed(user_id=inactive.pk, kind="registration") is False
    assert notification_allowed(user_id=10**12, kind="registration") is False


@pytest.mark.domain
@pytest.mark.django_db
def test_a_missing_settings_row_means_the_defaults(user_factory, api_client):
    user = user_factory()
    NotificationSettings.objects.filter(user=user).delete()
    assert notification_allowed(user_id=user.pk, kind="reminder") is True
    assert api_client.get(URL, user=user).json() == {"email": ALL_ON, "reminder_lead_hours": 24}
    assert api_client.put(URL, _body(reminder_lead_hours=5), user=user).status_code == 200
    assert NotificationSettings.objects.get(user=user).reminder_lead_hours == 5


@pytest.mark.domain
@pytest.mark.django_db
def test_migration_backfills_settings_for_existing_users(user_factory):
    user = user_factory()
    NotificationSettings.objects.filter(user=user).delete()
    migration = importlib.import_module("mutiroes.accounts.migrations.0003_seed_badges_backfill_settings")
    migration.backfill_settings(apps, None)
    migration.backfill_settings(apps, None)  # idempotent
    assert NotificationSettings.objects.filter(user=user).count() == 1
