"""Badges: the seeded pt-BR catalogue, set-based idempotent awarding, and the read-only API."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, connection

from mutiroes.accounts.models import Badge, Criterion, UserBadge, UserStats
from mutiroes.certificates import badges
from mutiroes.core import clock
from mutiroes.events import selectors as event_selectors
from mutiroes.impact.models import EventReport
from tests.support.concurrency import at_once


def _attend(past_event, attend, user, n: int = 1) -> None:
    for _ in range(n):
        attend(past_event(), user, checked_in=True)


def _slugs(awards) -> set[str]:
    return {award.badge.slug for award in awards}


@pytest.mark.domain
@pytest.mark.django_db
def test_catalogue_is_seeded_in_portuguese():
    names = dict(Badge.objects.values_list("slug", "name"))
    assert names["primeiro-mutirao"] == "Primeiro Mutirão"
    assert names["voluntario-assiduo"] == "Voluntário Assíduo"
    assert names["guardiao-verde"] == "Guardião Verde"
    assert Badge.objects.get(slug="voluntario-assiduo").threshold == 5
    assert Badge.objects.get(slug="guardiao-verde").criterion == Criterion.TREES_PLANTED
    assert Badge.objects.count() >= 10


@pytest.mark.domain
def test_every_criterion_is_a_user_stats_column():
    # The awarding SQL reads s.<criterion>: each must be a column of UserStats.
    columns = {field.column for field in UserStats._meta.concrete_fields}
    assert set(Criterion.values) <= columns


@pytest.mark.domain
@pytest.mark.django_db
def test_first_attended_event_earns_primeiro_mutirao(user_factory, past_event, attend):
    user = user_factory()
    assert badges.badges_award(user_id=user.pk) == []
    _attend(past_event, attend, user)
    awarded = badges.badges_award(user_id=user.pk)
    assert _slugs(awarded) == {"primeiro-mutirao"}
    assert all(a.user_id == user.pk and a.awarded_at is not None for a in awarded)


@pytest.mark.domain
@pytest.mark.django_db
def test_awarding_twice_awards_nothing_new(user_factory, past_event, attend):
    user = user_factory()
    _attend(past_event, attend, user)
    assert badges.badges_award(user_id=user.pk)
    assert badges.badges_award(user_id=user.pk) == []
    assert UserBadge.objects.filter(user=user).count() == 1


@pytest.mark.domain
@pytest.mark.django_db
def test_thresholds_are_inclusive_and_only_new_badges_return(user_factory, past_event, attend):
    user = user_factory()
    _attend(past_event, attend, user, 4)
    assert _slugs(badges.badges_award(user_id=user.pk)) == {"primeiro-mutirao", "dez-horas-de-dedicacao"}  # 12 h
    _attend(past_event, attend, user, 1)
    assert _slugs(badges.badges_award(user_id=user.pk)) == {"voluntario-assiduo"}


@pytest.mark.domain
@pytest.mark.django_db
def test_trees_shared_from_a_report_earn_guardiao_verde(user_factory, past_event, attend):
    event = past_event(hours=1)
    people = [user_factory(), user_factory()]
    for person in people:
        attend(event, person, checked_in=True)
    EventReport.objects.create(
        event=event, participants=2, hours=Decimal(2), trash_kg=0, recyclable_kg=0, trees_planted=20, area_m2=0
    )
    for person in people:
        assert "guardiao-verde" in _slugs(badges.badges_award(user_id=person.pk))


@pytest.mark.domain
@pytest.mark.django_db
def test_organising_is_rewarded(user_factory, past_event):
    organiser = user_factory()
    past_event(organizer=organiser)
    assert _slugs(badges.badges_award(user_id=organiser.pk)) == {"puxador-de-mutirao"}


@pytest.mark.domain
@pytest.mark.django_db
def test_retired_badges_are_not_awarded(user_factory, past_event, attend):
    Badge.objects.filter(slug="primeiro-mutirao").update(is_active=False)
    user = user_factory()
    _attend(past_event, attend, user)
    assert "primeiro-mutirao" not in _slugs(badges.badges_award(user_id=user.pk))


@pytest.mark.domain
@pytest.mark.django_db
def test_award_without_recompute_reads_the_stored_stats(user_factory, past_event, attend):
    user = user_factory()
    _attend(past_event, attend, user)
    assert badges.badges_award(user_id=user.pk, recompute=False) == []  # no stats row yet
    UserStats.objects.create(user=user, events_attended=1, computed_at=clock.now())
    assert _slugs(badges.badges_award(user_id=user.pk, recompute=False)) == {"primeiro-mutirao"}


@pytest.mark.domain
@pytest.mark.django_db
def test_award_many_is_one_insert_for_many_users(user_factory, past_event, attend, django_assert_max_num_queries):
    users = [user_factory() for _ in range(10)]
    event = past_event()
    for user in users:
        attend(event, user, checked_in=True)
    with django_assert_max_num_queries(12):
        awarded = badges.badges_award_many(user_ids=[u.pk for u in users])
    assert sorted(a.user_id for a in awarded) == sorted(u.pk for u in users)
    assert badges.badges_award_many(user_ids=[u.pk for u in users]) == []


@pytest.mark.domain
@pytest.mark.django_db
def test_award_for_an_events_people_covers_its_participants_and_organiser(user_factory, past_event, attend):
    event = past_event()
    participant, absent = user_factory(), user_factory()
    attend(event, participant, checked_in=True)
    attend(event, absent, checked_in=False)
    awarded = badges.badges_award_many(user_ids=event_selectors.event_people(event_ids=[event.pk]))
    assert {(a.user_id, a.badge.slug) for a in awarded} == {
        (participant.pk, "primeiro-mutirao"),
        (event.organizer_id, "puxador-de-mutirao"),
    }


@pytest.mark.domain
@pytest.mark.django_db
def test_database_refuses_a_second_copy_of_a_badge(user_factory):
    user, badge = user_factory(), Badge.objects.first()
    UserBadge.objects.create(user=user, badge=badge, awarded_at=clock.now())
    with pytest.raises(IntegrityError):
        UserBadge.objects.create(user=user, badge=badge, awarded_at=clock.now())


@pytest.mark.domain
@pytest.mark.django_db
def test_database_refuses_a_non_positive_threshold():
    with pytest.raises(IntegrityError):
        Badge.objects.create(slug="zero", name="Zero", description="", criterion="trash_kg", threshold=0, icon="x")


@pytest.mark.django_db(transaction=True)
def test_concurrent_awards_hand_out_each_badge_once(user_factory, past_event, attend):
    if connection.vendor != "postgresql":
        pytest.skip("needs real concurrent writers")
    # Its own badge: another transactional test's flush may have emptied the seeded catalogue.
    Badge.objects.create(
        slug="teste-concorrencia", name="Teste de concorrência", description="-", criterion="events_attended",
        threshold=1, icon="x",
    )  # fmt: skip
    user = user_factory()
    _attend(past_event, attend, user)
    results = at_once(lambda: sorted(_slugs(badges.badges_award(user_id=user.pk))), 6)
    assert len(results) == 6
    handed_out = [slug for slugs in results for slug in slugs]
    assert handed_out.count("teste-concorrencia") == 1
    assert len(handed_out) == len(set(handed_out)) == UserBadge.objects.filter(user=user).count()


@pytest.mark.django_db
def test_catalogue_is_public_with_criteria(api_client):
    response = api_client.get("/api/v1/badges")
    assert response.status_code == 200
    first = next(b for b in response.json() if b["slug"] == "voluntario-assiduo")
    assert first["criterion"] == "events_attended"
    assert Decimal(first["threshold"]) == 5
    assert first["criterion_label"] and first["icon"] and first["description"]


@pytest.mark.django_db
def test_retired_badges_leave_the_catalogue(api_client):
    Badge.objects.filter(slug="caca-lixo").update(is_active=False)
    slugs = {b["slug"] for b in api_client.get("/api/v1/badges").json()}
    assert "caca-lixo" not in slugs and "primeiro-mutirao" in slugs


@pytest.mark.django_db
def test_my_badges_lists_only_mine(user_factory, past_event, attend, api_client):
    me, other = user_factory(), user_factory()
    _attend(past_event, attend, me)
    badges.badges_award(user_id=me.pk)
    mine = api_client.get("/api/v1/users/me/badges", user=me)
    assert mine.status_code == 200
    assert [b["badge"]["slug"] for b in mine.json()] == ["primeiro-mutirao"]
    assert mine.json()[0]["awarded_at"]
    assert api_client.get("/api/v1/users/me/badges", user=other).json() == []
    assert api_client.get("/api/v1/users/me/badges").status_code == 401


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["post", "put"])
def test_no_route_lets_a_user_award_themselves(user_factory, api_client, method):
    user = user_factory()
    for path in ("/api/v1/users/me/badges", "/api/v1/badges"):
        response = api_client.request(method, path, json={"slug": "primeiro-mutirao"}, user=user)
        assert response.status_code == 405
    assert not UserBadge.objects.filter(user=user).exists()
