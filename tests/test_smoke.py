"""The test environment itself works: the database the plugin chose, the app answering, the fixtures."""

import os
from datetime import date

import pytest
from django.db import connection

from mutiroes.events.models import Participation
from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db


def test_runs_on_the_database_the_plugin_chose():
    if os.environ.get("MUTIROES_TEST_DB") == "sqlite":
        assert connection.vendor == "sqlite"
    else:
        assert connection.vendor == "postgresql"
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_database(), current_setting('server_version_num')::int")
            name, version = cursor.fetchone()
        assert name.startswith("test_")  # pytest-django's throwaway database, never the real one
        assert version >= 150000


def test_health_reports_the_database_up(client, settings):
    settings.HEALTH_TOKEN = "operador-do-teste"
    response = client.get("/health", headers={"Authorization": "Bearer operador-do-teste"})

    assert response.status_code == 200
    assert response.json()["checks"]["database"]["status"] == "ok"


def test_register_then_log_in_then_read_own_profile(api_client):
    registered = api_client.post(
        "/api/v1/auth/register",
        json={"username": "joana", "email": "Joana@Example.org", "password": "mangue-vivo-2024", "first_name": "Joana"},
    )
    assert registered.status_code == 201, registered.content

    token = api_client.post("/api/v1/auth/token", json={"username": "joana", "password": "mangue-vivo-2024"})
    assert token.status_code == 200, token.content
    access = token.json()["access"]

    me = api_client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {access}"})
    assert me.status_code == 200
    assert me.json()["username"] == "joana"
    assert api_client.get("/api/v1/users/me").status_code == 401


def test_factories_make_rows_the_api_accepts(api_client, user_factory, event_factory, participation_factory):
    volunteer = user_factory(birth_date=date(2001, 4, 22))
    event = event_factory()
    participation_factory(event=event, user=volunteer)

    assert volunteer.check_password(DEFAULT_PASSWORD)
    volunteer.profile.refresh_from_db()
    assert volunteer.profile.birth_date == date(2001, 4, 22)
    assert event.category.slug == "limpeza"
    response = api_client.get(f"/api/v1/events/{event.id}", user=volunteer)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "published"
    assert body["participants_count"] == 1
    assert body["my_participation"]["status"] == Participation.Status.CONFIRMED
    assert body["check_in_code"] is None  # the organiser's secret, not the volunteer's
    assert api_client.get(f"/api/v1/events/{event.id}", user=event.organizer).json()["check_in_code"]


def test_no_shared_redis_reaches_the_tests(settings):
    # The plugin drops REDIS_URL & co.: the autouse cache clearing must never flush a Redis someone uses.
    assert not {"REDIS_URL", "CACHE_URL", "BROKER_URL", "REDIS_SENTINELS"} & set(os.environ)
    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"
