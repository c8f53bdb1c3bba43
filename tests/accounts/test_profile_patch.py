"""PATCH /users/me: null clears the birth date only; nulls for other fields are a 422, never a 500."""

from datetime import date

import pytest

from mutiroes.accounts.models import Profile

URL = "/api/v1/users/me"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "field", ["first_name", "last_name", "phone", "city", "state", "bio", "interests", "is_public", "show_city",
              "show_stats"],
)  # fmt: skip
def test_null_for_a_non_nullable_field_is_a_422(user_factory, api_client, field):
    user = user_factory()
    response = api_client.patch(URL, {field: None}, user=user)
    assert response.status_code == 422, response.content
    assert field in response.json()["message"] + str(response.json()["details"])
    assert Profile.objects.get(user=user).is_public is True


@pytest.mark.django_db
def test_null_clears_the_birth_date(user_factory, api_client):
    user = user_factory(birth_date=date(1990, 5, 1))
    response = api_client.patch(URL, {"birth_date": None, "show_stats": False}, user=user)
    assert response.status_code == 200
    assert response.json()["birth_date"] is None and response.json()["show_stats"] is False
