"""The public profile honours the privacy flags; with show_stats it carries stats and badges."""

import pytest

from mutiroes.accounts.models import Profile
from mutiroes.certificates import badges


def _profile(client, username, viewer=None):
    return client.get(f"/api/v1/users/{username}", user=viewer)


@pytest.mark.django_db
def test_show_stats_adds_stats_and_badges(user_factory, past_event, attend, api_client):
    user = user_factory()
    attend(past_event(hours=2), user, checked_in=True)
    badges.badges_award(user_id=user.pk)
    body = _profile(api_client, user.username).json()
    assert body["stats"]["events_attended"] == 1
    assert [b["badge"]["slug"] for b in body["badges"]] == ["primeiro-mutirao"]
    assert "email" not in body


@pytest.mark.django_db
def test_hidden_stats_are_not_shown_to_anyone(user_factory, past_event, attend, api_client):
    user = user_factory()
    attend(past_event(), user, checked_in=True)
    badges.badges_award(user_id=user.pk)
    Profile.objects.filter(user=user).update(show_stats=False)
    for viewer in (None, user_factory(), user):
        body = _profile(api_client, user.username, viewer=viewer).json()
        assert body["stats"] is None and body["badges"] is None


@pytest.mark.django_db
def test_hidden_city_is_not_shown(user_factory, api_client):
    user = user_factory()
    Profile.objects.filter(user=user).update(city="Recife", state="PE", show_city=False)
    body = _profile(api_client, user.username).json()
    assert body["city"] is None and body["state"] is None
    Profile.objects.filter(user=user).update(show_city=True)
    assert _profile(api_client, user.username).json()["city"] == "Recife"


@pytest.mark.django_db
def test_private_profile_is_a_404_except_to_its_owner(user_factory, api_client):
    user = user_factory()
    Profile.objects.filter(user=user).update(is_public=False)
    assert _profile(api_client, user.username).status_code == 404
    assert _profile(api_client, user.username, viewer=user_factory()).status_code == 404
    assert _profile(api_client, user.username, viewer=user).status_code == 200


@pytest.mark.django_db
def test_a_user_with_no_activity_shows_zero_stats(user_factory, api_client):
    body = _profile(api_client, user_factory().username).json()
    assert body["stats"]["events_attended"] == 0 and body["badges"] == []
