"""Registration on the open internet: usernames in NFKC, look-alikes of taken names refused (Unicode's confusable
skeleton), control and text-direction characters refused in names, and a per-address throttle."""

import importlib

import pytest
from django.apps import apps

from mutiroes.accounts.models import User
from mutiroes.accounts.usernames import username_skeleton

pytestmark = pytest.mark.django_db

REGISTER = "/api/v1/auth/register"
PASSWORD = "Mutir@o-forte-2024"
SKELETON_MIGRATION = "mutiroes.accounts.migrations.0006_username_skeleton"


def _register(client, username, address="10.0.0.1", **fields):
    body = {"username": username, "email": f"{abs(hash(username))}@example.org", "password": PASSWORD} | fields
    return client.post(REGISTER, body, content_type="application/json", REMOTE_ADDR=address)


def test_usernames_are_stored_in_nfkc_and_sign_in_either_way(client):
    response = _register(client, "ｍａｒｉａ＿ｆ")  # full-width letters, as some phone keyboards type them
    assert response.status_code == 201, response.content
    assert response.json()["username"] == "maria_f"
    for login in ("maria_f", "ｍａｒｉａ＿ｆ", "MARIA_F"):
        token = client.post("/api/v1/auth/token", {"username": login, "password": PASSWORD},
                            content_type="application/json")  # fmt: skip
        assert token.status_code == 200, login


@pytest.mark.parametrize(
    ("taken", "look_alike"),
    [
        ("maria", "mаria"),  # Cyrillic а
        ("maria", "rnaria"),  # rn for m
        ("paypal", "paypa1"),
        ("paypal", "PAYPAI"),
        ("ana.silva", "аna.ѕilva"),  # Cyrillic а and ѕ
        ("joao_123", "joao_l23"),
    ],
)
def test_a_look_alike_of_a_taken_username_is_refused(client, taken, look_alike):
    assert _register(client, taken).status_code == 201
    response = _register(client, look_alike)
    assert (response.status_code, response.json()["code"]) == (409, "username_confusable"), response.content
    assert User.objects.count() == 1


def test_names_that_only_share_letters_are_different_people(client):
    for name in ("joao", "joão", "maria", "mariana", "ana1", "ana2"):
        assert _register(client, name).status_code == 201, name


def test_nobody_takes_a_look_alike_of_the_erased_accounts_placeholder(client):
    response = _register(client, "usuario-rernovido")
    assert (response.status_code, response.json()["code"]) == (409, "username_confusable")


def test_the_database_refuses_a_look_alike_that_skips_the_check(user_factory):
    user_factory(username="carla")
    with pytest.raises(Exception, match="user_username_skeleton_unique"):
        user_factory(username="cаrla")


@pytest.mark.parametrize(
    "fields",
    [
        {"first_name": "\u202enimda"},  # right-to-left override: shows as "admin"
        {"last_name": "Silva\u2066x\u2069"},  # isolates
        {"first_name": "Ana\u200fMaria"},  # right-to-left mark
        {"first_name": "Ana\x07"},  # bell
        {"last_name": "Souza\nAdmin"},  # a line break inside a name
    ],
)
def test_control_and_direction_characters_are_refused_in_names(client, api_client, user_factory, fields):
    response = _register(client, "pessoa", **fields)
    assert response.status_code == 422, response.content
    assert set(response.json()["details"]["fields"]) == set(fields)
    me = user_factory()
    patched = api_client.patch("/api/v1/users/me", fields, user=me)
    assert patched.status_code == 422, patched.content
    me.refresh_from_db()
    assert (me.first_name, me.last_name) != (fields.get("first_name"), fields.get("last_name"))


@pytest.mark.parametrize("username", ["\u202eadmin", "ad\u200bmin", "a\x07b", "¼"])
def test_usernames_with_invisible_or_odd_characters_are_refused(client, username):
    response = _register(client, username)
    assert response.status_code == 422, response.content
    assert not User.objects.exists()


def test_accented_and_non_latin_names_are_welcome(client):
    response = _register(client, "joana_b", first_name="Joana D'Ávila", last_name="Nakamura 中村")
    assert response.status_code == 201, response.content


def test_registration_is_throttled_per_address(client, settings):
    settings.REGISTER_THROTTLE = "3/h"
    statuses = [_register(client, f"turma{n}", address="10.7.7.7").status_code for n in range(3)]
    refused = _register(client, "turma3", address="10.7.7.7")
    assert statuses == [201, 201, 201]
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert refused.json()["code"] == "throttled"
    assert _register(client, "turma4", address="10.7.7.8").status_code == 201
    assert not User.objects.filter(username="turma3").exists()


def test_the_migration_gives_older_look_alikes_no_skeleton_and_keeps_them_usable(user_factory):
    User.objects.bulk_create(
        [User(username="bruno", email="b1@example.org"), User(username="brunо", email="b2@example.org")]
    )  # fmt: skip  (Cyrillic о)
    importlib.import_module(SKELETON_MIGRATION).fill_skeletons(apps, None)
    first, second = User.objects.order_by("id")
    assert (first.username_skeleton, second.username_skeleton) == (username_skeleton("bruno"), None)
    second.first_name = "Bruno"
    second.save(update_fields=["first_name"])  # an unchanged name keeps its NULL: no constraint error
    second.refresh_from_db()
    assert (second.first_name, second.username_skeleton) == ("Bruno", None)
