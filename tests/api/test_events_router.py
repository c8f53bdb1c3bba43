"""Events over HTTP: create, read, edit, publish, cancel, delete, lists, calendar; others' attempts change nothing."""

from datetime import timedelta

import icalendar
import pytest
from django.forms.models import model_to_dict

from mutiroes.core import clock
from mutiroes.events.models import Category, Event, Participation
from tests.support.api import EVENTS, assert_error, event_payload

pytestmark = pytest.mark.django_db


def snapshot(event_id):
    event = Event.objects.get(pk=event_id)
    return model_to_dict(event, exclude=["cover_image"]) | {"updated_at": event.updated_at}


# --- create -------------------------------------------------------------------------------------------


def test_create_event(api_client, user_factory):
    organizer = user_factory()
    response = api_client.post(EVENTS, event_payload(), user=organizer)
    assert response.status_code == 201, response.content
    body = response.json()
    row = Event.objects.get(pk=body["id"])
    assert row.organizer_id == organizer.pk
    assert body["organizer"] == {"id": organizer.pk, "username": organizer.username}
    assert body["category"]["id"] == row.category_id
    assert (body["status"], body["participants_count"], body["spots_left"]) == ("published", 0, 10)
    assert body["check_in_code"] == row.check_in_code  # the organiser sees the code
    assert body["my_participation"] is None


def test_create_requires_authentication(api_client):
    response = api_client.post(EVENTS, event_payload())
    assert_error(response, 401)
    assert not Event.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"organizer": 1}, "organizer"),
        ({"id": 5}, "id"),
        ({"check_in_code": "ABC"}, "check_in_code"),
        ({"participants_count": 0}, "participants_count"),
        ({"status": "completed"}, "status"),
        ({"latitude": 91}, "latitude"),
        ({"longitude": -181}, "longitude"),
        ({"max_participants": 0}, "max_participants"),
        ({"min_age": -1}, "min_age"),
        ({"state": "XX"}, "state"),
        ({"title": ""}, "title"),
    ],
)
def test_create_rejects_unknown_protected_and_out_of_range_fields(api_client, user_factory, overrides, field):
    response = api_client.post(EVENTS, event_payload(**overrides), user=user_factory())
    body = assert_error(response, 422)
    assert field in body["details"]["fields"], body
    assert not Event.objects.exists()


def test_create_checks_dates_and_ages(api_client, user_factory):
    payload = event_payload()
    bad = [
        ({"end_date": payload["start_date"]}, "end_date"),
        ({"registration_deadline": payload["end_date"]}, "registration_deadline"),
        ({"min_age": 18, "max_age": 12}, "max_age"),
        ({"category_id": 987654}, "category_id"),
    ]
    for overrides, field in bad:
        body = assert_error(api_client.post(EVENTS, event_payload(**overrides), user=user_factory()), 422)
        assert field in body["details"]["fields"], body
    assert not Event.objects.exists()


def test_create_published_in_the_past_is_refused(api_client, user_factory):
    start = clock.now() - timedelta(days=1)
    payload = event_payload(start_date=start.isoformat(), end_date=(start + timedelta(hours=2)).isoformat())
    assert_error(api_client.post(EVENTS, payload, user=user_factory()), 422)
    assert not Event.objects.exists()


def test_any_rfc_3339_offset_is_taken_as_its_instant(api_client, user_factory):
    """-19:34 is a valid RFC 3339 offset that PostgreSQL cannot store as given (it was a 422)."""
    payload = event_payload(start_date="2030-01-01T10:00:00-19:34", end_date="2030-01-02T11:00:00-03:00")
    response = api_client.post(EVENTS, payload, user=user_factory())
    assert response.status_code == 201, response.content
    row = Event.objects.get(pk=response.json()["id"])
    assert row.start_date.isoformat() == "2030-01-02T05:34:00+00:00"
    assert row.end_date.isoformat() == "2030-01-02T14:00:00+00:00"


def test_naive_datetimes_are_refused(api_client, user_factory):
    payload = event_payload(start_date="2030-01-01T10:00:00", end_date="2030-01-01T12:00:00")
    assert_error(api_client.post(EVENTS, payload, user=user_factory()), 422)


# --- read, visibility ---------------------------------------------------------------------------------


@pytest.fixture
def organizer(user_factory):
    return user_factory()


@pytest.fixture
def stranger(user_factory):
    return user_factory()


@pytest.fixture
def draft(api_client, organizer):
    return api_client.post(EVENTS, event_payload(status="draft", title="Rascunho secreto"), user=organizer).json()


@pytest.fixture
def private(api_client, organizer):
    return api_client.post(EVENTS, event_payload(is_public=False, title="Evento privado"), user=organizer).json()


@pytest.fixture
def published(api_client, organizer):
    return api_client.post(EVENTS, event_payload(title="Evento aberto"), user=organizer).json()


@pytest.mark.parametrize("which", ["draft", "private"])
def test_hidden_events_are_404_for_others(api_client, request, stranger, which):
    event = request.getfixturevalue(which)
    assert_error(api_client.get(f"{EVENTS}/{event['id']}", user=stranger), 404)
    assert_error(api_client.get(f"{EVENTS}/{event['id']}"), 404)
    assert_error(api_client.get(f"{EVENTS}/{event['id']}/calendar.ics", user=stranger), 404)
    assert_error(api_client.get(f"{EVENTS}/{event['id']}/stats", user=stranger), 404)


@pytest.mark.parametrize("which", ["draft", "private"])
def test_hidden_events_are_visible_to_their_organizer(api_client, request, organizer, which):
    event = request.getfixturevalue(which)
    response = api_client.get(f"{EVENTS}/{event['id']}", user=organizer)
    assert response.status_code == 200
    assert response.json()["title"] == event["title"]


def test_missing_event_is_404(api_client, stranger):
    assert_error(api_client.get(f"{EVENTS}/999999999", user=stranger), 404)


def test_others_see_published_event_without_the_check_in_code(api_client, published, stranger):
    for user in (stranger, None):
        body = api_client.get(f"{EVENTS}/{published['id']}", user=user).json()
        assert body["title"] == "Evento aberto"
        assert body["check_in_code"] is None


def test_lists_never_leak_drafts_or_private_events(api_client, draft, private, published, stranger, organizer):
    queries = [
        {},
        {"status": "draft"},
        {"status": "published"},
        {"q": "secreto"},
        {"q": "privado"},
        {"city": "São Paulo"},
        {"near": "-23.5505,-46.6333", "radius_km": 10},
        {"ordering": "-start_date"},
    ]
    hidden = {draft["id"], private["id"]}
    for user in (stranger, None):
        for query in queries:
            body = api_client.get(EVENTS, query, user=user).json()
            ids = {item["id"] for item in body["items"]}
            assert not ids & hidden, (user, query)
            assert body["count"] == len(ids)
            assert all(item["check_in_code"] is None for item in body["items"])
    own = api_client.get(EVENTS, {"status": "draft"}, user=organizer).json()
    assert [item["id"] for item in own["items"]] == [draft["id"]]


def test_list_pagination(api_client, organizer):
    for n in range(5):
        api_client.post(EVENTS, event_payload(title=f"Evento {n}"), user=organizer)
    first = api_client.get(EVENTS, {"page": 1, "page_size": 2}).json()
    third = api_client.get(EVENTS, {"page": 3, "page_size": 2}).json()
    beyond = api_client.get(EVENTS, {"page": 9, "page_size": 2}).json()
    assert (len(first["items"]), first["count"]) == (2, 5)
    assert (len(third["items"]), third["count"]) == (1, 5)
    assert beyond == {"items": [], "count": 5, "count_is_exact": True, "has_more": False}
    assert (first["has_more"], third["has_more"]) == (True, False)


def test_counting_stops_at_the_cap_and_has_more_leads_on(api_client, organizer, monkeypatch):
    monkeypatch.setattr("mutiroes.api.pagination.COUNT_CAP", 3)
    for n in range(5):
        api_client.post(EVENTS, event_payload(title=f"Evento {n}"), user=organizer)
    first = api_client.get(EVENTS, {"page": 1, "page_size": 2}, user=organizer).json()
    last = api_client.get(EVENTS, {"page": 3, "page_size": 2}, user=organizer).json()
    assert (first["count"], first["count_is_exact"], first["has_more"]) == (3, False, True)
    assert (len(last["items"]), last["count"], last["has_more"]) == (1, 5, False)


def test_list_filters(api_client, organizer):
    category = Category.objects.create(name="Monitoramento X", slug="monitoramento-x")
    api_client.post(EVENTS, event_payload(title="Plantio Campinas", city="Campinas"), user=organizer)
    api_client.post(EVENTS, event_payload(title="Rio limpo", city="Rio de Janeiro", state="RJ"), user=organizer)
    api_client.post(
        EVENTS, event_payload(title="Água", category_id=category.pk, description="qualidade"), user=organizer
    )

    def titles(**query):
        return sorted(item["title"] for item in api_client.get(EVENTS, query).json()["items"])

    assert titles(city="campinas") == ["Plantio Campinas"]
    assert titles(state="RJ") == ["Rio limpo"]
    assert titles(category=category.pk) == ["Água"]
    assert titles(q="QUALIDADE") == ["Água"]


def test_my_participation_and_counts(api_client, published, stranger):
    api_client.post(f"{EVENTS}/{published['id']}/join", {}, user=stranger)
    body = api_client.get(f"{EVENTS}/{published['id']}", user=stranger).json()
    participation = Participation.objects.get(event_id=published["id"], user=stranger)
    assert body["my_participation"] == {
        "id": participation.pk,
        "status": "confirmed",
        "checked_in_at": None,
        "waitlist_position": None,
    }
    assert (body["participants_count"], body["spots_left"]) == (1, 9)
    listed = api_client.get(EVENTS, user=stranger).json()["items"]
    assert [item["my_participation"]["status"] for item in listed if item["id"] == published["id"]] == ["confirmed"]


def test_stats(api_client, published, stranger):
    api_client.post(f"{EVENTS}/{published['id']}/join", {}, user=stranger)
    body = api_client.get(f"{EVENTS}/{published['id']}/stats").json()
    assert body["participants_by_status"]["confirmed"] == 1
    assert (body["checked_in"], body["spots_left"]) == (0, 9)


def test_categories_are_listed(api_client):
    Category.objects.get_or_create(slug="limpeza", defaults={"name": "Limpeza"})
    response = api_client.get("/api/v1/categories")
    assert response.status_code == 200
    assert "limpeza" in {c["slug"] for c in response.json()} or "limpeza" in {
        c["slug"] for c in response.json().get("items", [])
    }


# --- organiser actions --------------------------------------------------------------------------------


def test_organizer_edits_publishes_cancels_and_deletes(api_client, organizer, draft):
    url = f"{EVENTS}/{draft['id']}"
    patched = api_client.patch(url, {"title": "Mutirão renomeado", "max_participants": 30}, user=organizer)
    assert patched.status_code == 200, patched.content
    assert (patched.json()["title"], patched.json()["max_participants"]) == ("Mutirão renomeado", 30)
    published = api_client.post(f"{url}/publish", user=organizer)
    assert published.json()["status"] == "published"
    cancelled = api_client.post(f"{url}/cancel", user=organizer)
    assert cancelled.json()["status"] == "cancelled"
    row = Event.objects.get(pk=draft["id"])
    assert (row.title, row.max_participants, row.status) == ("Mutirão renomeado", 30, "cancelled")
    assert api_client.delete(url, user=organizer).status_code == 204
    assert not Event.objects.filter(pk=draft["id"]).exists()


def test_patch_rejects_unknown_protected_and_null_required_fields(api_client, organizer, published):
    url = f"{EVENTS}/{published['id']}"
    before = snapshot(published["id"])
    for body in ({"organizer": 99}, {"status": "cancelled"}, {"check_in_code": "X"}, {"title": None}, {"id": 1}):
        assert_error(api_client.patch(url, body, user=organizer), 422)
    assert snapshot(published["id"]) == before


def test_patch_end_before_start_is_refused(api_client, organizer, published):
    before = snapshot(published["id"])
    body = assert_error(
        api_client.patch(f"{EVENTS}/{published['id']}", {"end_date": published["start_date"]}, user=organizer), 422
    )
    assert "end_date" in body["details"]["fields"]
    assert snapshot(published["id"]) == before


def test_delete_with_participants_is_a_conflict(api_client, organizer, published, stranger):
    api_client.post(f"{EVENTS}/{published['id']}/join", {}, user=stranger)
    assert_error(api_client.delete(f"{EVENTS}/{published['id']}", user=organizer), 409)
    assert Event.objects.filter(pk=published["id"]).exists()


def _attempts(api_client, event_id, user):
    url = f"{EVENTS}/{event_id}"
    return {
        "get": api_client.get(url, user=user),
        "patch": api_client.patch(url, {"title": "Tomado", "max_participants": 1}, user=user),
        "publish": api_client.post(f"{url}/publish", user=user),
        "cancel": api_client.post(f"{url}/cancel", user=user),
        "delete": api_client.delete(url, user=user),
        "participants": api_client.get(f"{url}/participants", user=user),
        "csv": api_client.get(f"{url}/participants.csv", user=user),
    }


def test_stranger_cannot_touch_a_draft(api_client, draft, stranger):
    before = snapshot(draft["id"])
    for response in _attempts(api_client, draft["id"], stranger).values():
        assert_error(response, 404)
    assert snapshot(draft["id"]) == before


def test_stranger_cannot_manage_a_published_event(api_client, published, stranger, user_factory):
    participant = user_factory()
    api_client.post(f"{EVENTS}/{published['id']}/join", {"emergency_phone": "+55 11 90000-0000"}, user=participant)
    before = snapshot(published["id"])
    participations_before = list(Participation.objects.filter(event_id=published["id"]).values())
    responses = _attempts(api_client, published["id"], stranger)
    assert responses.pop("get").status_code == 200
    for action, response in responses.items():
        body = assert_error(response, 403)
        assert "90000" not in response.content.decode(), action
        assert body["code"] == "not_organizer", action
    assert snapshot(published["id"]) == before
    assert list(Participation.objects.filter(event_id=published["id"]).values()) == participations_before


def test_participant_cannot_manage_the_event(api_client, published, stranger):
    api_client.post(f"{EVENTS}/{published['id']}/join", {}, user=stranger)
    before = snapshot(published["id"])
    responses = _attempts(api_client, published["id"], stranger)
    assert responses.pop("get").status_code == 200
    for response in responses.values():
        assert_error(response, 403)
    assert snapshot(published["id"]) == before


def test_anonymous_cannot_manage(api_client, published):
    before = snapshot(published["id"])
    responses = _attempts(api_client, published["id"], None)
    assert responses.pop("get").status_code == 200
    for response in responses.values():
        assert_error(response, 401)
        assert response["WWW-Authenticate"].startswith("Bearer")
    assert snapshot(published["id"]) == before


def test_staff_may_moderate(api_client, published, user_factory):
    staff = user_factory(is_staff=True)
    response = api_client.post(f"{EVENTS}/{published['id']}/cancel", user=staff)
    assert response.status_code == 200
    assert Event.objects.get(pk=published["id"]).status == "cancelled"


# --- calendar -----------------------------------------------------------------------------------------


def test_calendar_ics_parses(api_client, published):
    response = api_client.get(f"{EVENTS}/{published['id']}/calendar.ics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert "attachment" in response["Content-Disposition"]
    calendar = icalendar.Calendar.from_ical(response.content)
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 1
    item = events[0]
    row = Event.objects.get(pk=published["id"])
    assert str(item["summary"]) == row.title
    assert item.decoded("dtstart") == row.start_date
    assert item.decoded("dtend") == row.end_date
    assert str(item["uid"]).startswith(f"event-{row.pk}@")
    assert "São Paulo" in str(item["location"])
    assert str(item["status"]) == "CONFIRMED"
    geo = item["geo"]
    assert (round(geo.latitude, 4), round(geo.longitude, 4)) == (-23.5505, -46.6333)


def test_calendar_of_cancelled_event(api_client, published, organizer):
    api_client.post(f"{EVENTS}/{published['id']}/cancel", user=organizer)
    calendar = icalendar.Calendar.from_ical(api_client.get(f"{EVENTS}/{published['id']}/calendar.ics").content)
    assert [str(e["status"]) for e in calendar.walk("VEVENT")] == ["CANCELLED"]


def test_calendar_escapes_hostile_text(api_client, organizer):
    payload = event_payload(title="Linha1\r\nBEGIN:VEVENT\r\nSUMMARY:injetado", description="a;b,c\\d\nfim")
    event = api_client.post(EVENTS, payload, user=organizer).json()
    calendar = icalendar.Calendar.from_ical(api_client.get(f"{EVENTS}/{event['id']}/calendar.ics").content)
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 1
    assert str(events[0]["description"]) == "a;b,c\\d\nfim"


def test_anonymous_list_follows_every_write(api_client, organizer, stranger, django_capture_on_commit_callbacks):
    # Anonymous lists may be served from a shared cache; each write must show in the very next read.
    def anonymous_view():
        return {item["id"]: item["participants_count"] for item in api_client.get(EVENTS).json()["items"]}

    with django_capture_on_commit_callbacks(execute=True):
        draft = api_client.post(EVENTS, event_payload(status="draft"), user=organizer).json()
    assert anonymous_view() == {}
    with django_capture_on_commit_callbacks(execute=True):
        api_client.post(f"{EVENTS}/{draft['id']}/publish", user=organizer)
    assert anonymous_view() == {draft["id"]: 0}
    with django_capture_on_commit_callbacks(execute=True):
        api_client.post(f"{EVENTS}/{draft['id']}/join", user=stranger)
    assert anonymous_view() == {draft["id"]: 1}
    with django_capture_on_commit_callbacks(execute=True):
        api_client.patch(f"{EVENTS}/{draft['id']}", {"is_public": False}, user=organizer)
    assert anonymous_view() == {}
    with django_capture_on_commit_callbacks(execute=True):
        api_client.patch(f"{EVENTS}/{draft['id']}", {"is_public": True}, user=organizer)
        api_client.post(f"{EVENTS}/{draft['id']}/cancel", user=organizer)
    assert anonymous_view() == {}
    # A signed-in caller never gets the anonymous copy: their own participation is in their view.
    mine = api_client.get(EVENTS, {"status": "cancelled"}, user=stranger).json()["items"]
    assert [item["my_participation"]["status"] for item in mine] == ["confirmed"]
