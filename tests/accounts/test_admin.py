"""The Django admin pages of the accounts models open for staff; derived stats are read-only there."""

import pytest
from django.test import Client
from django.urls import reverse

from mutiroes.accounts.models import Badge, NotificationSettings, UserBadge, UserStats
from mutiroes.certificates import badges


@pytest.fixture
def admin_client_for(user_factory):
    superuser = user_factory(is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(superuser)
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("model", [NotificationSettings, UserStats, Badge, UserBadge])
def test_changelists_open(admin_client_for, model):
    url = reverse(f"admin:accounts_{model._meta.model_name}_changelist")
    assert admin_client_for.get(url).status_code == 200


@pytest.mark.django_db
def test_change_pages_open(admin_client_for, user_factory, past_event, attend):
    user = user_factory()
    attend(past_event(), user, checked_in=True)
    [award] = [a for a in badges.badges_award(user_id=user.pk) if a.badge.slug == "primeiro-mutirao"]
    pages = [
        reverse("admin:accounts_user_change", args=[user.pk]),
        reverse("admin:accounts_notificationsettings_change", args=[user.notification_settings.pk]),
        reverse("admin:accounts_userstats_change", args=[user.pk]),
        reverse("admin:accounts_badge_change", args=[award.badge_id]),
        reverse("admin:accounts_userbadge_change", args=[award.pk]),
    ]
    for url in pages:
        assert admin_client_for.get(url).status_code == 200, url


@pytest.mark.django_db
def test_stats_cannot_be_edited_by_hand(admin_client_for, user_factory):
    assert admin_client_for.get(reverse("admin:accounts_userstats_add")).status_code == 403
