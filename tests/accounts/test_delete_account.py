"""DELETE /users/me (LGPD): the person goes, the community's history stays, anonymised."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.db import connection
from ninja_jwt.tokens import RefreshToken

from mutiroes.accounts.models import PLACEHOLDER_USERNAME, NotificationSettings, Profile, User, UserBadge, UserStats
from mutiroes.certificates import badges, stats
from mutiroes.core import clock
from mutiroes.core.exceptions import Forbidden
from mutiroes.core.models import IdempotencyRecord
from mutiroes.events.models import Comment, Event, EventPhoto, Participation, Pledge, Resource
from mutiroes.impact.models import EventReport
from mutiroes.jobs.models import OutboxMessage
from mutiroes.notifications.models import EmailDelivery
from mutiroes.privacy import lgpd
from tests.factories import DEFAULT_PASSWORD as PASSWORD

URL = "/api/v1/users/me"
TEXT_TYPES = ("character varying", "text", "character", "json", "jsonb")


def _occurrences(needles: list[str]) -> list[tuple[str, str, str]]:
    """(table, column, needle) for every text-like column of every table holding one of the needles."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND (data_type = ANY(%s) OR data_type = 'bytea')",
            [list(TEXT_TYPES)],
        )
        columns = cursor.fetchall()
        found = []
        for table, column, data_type in columns:
            for needle in needles:
                if data_type == "bytea":
                    # Case-insensitive on bytes: compare in PostgreSQL's escape text form, lower-cased.
                    escaped = f"lower(encode(\"{column}\", 'escape'))"
                    sql = f'SELECT 1 FROM "{table}" WHERE position(%s in {escaped}) > 0 LIMIT 1'
                    cursor.execute(sql, [_escape_form(needle).lower()])
                else:
                    sql = f'SELECT 1 FROM "{table}" WHERE "{column}"::text ILIKE %s LIMIT 1'
                    cursor.execute(sql, [f"%{needle}%"])
                if cursor.fetchone():
                    found.append((table, column, needle))
    return found


def _escape_form(text: str) -> str:
    """What encode(bytea, 'escape') prints for these UTF-8 bytes."""
    return "".join(chr(b) if 0 < b < 128 and b != 92 else ("\\\\" if b == 92 else f"\\{b:03o}") for b in text.encode())


def _photo(event, user) -> EventPhoto:
    photo = EventPhoto(event=event, uploaded_by=user, caption="foto")
    photo.image.save("p.jpg", ContentFile(b"jpeg-bytes"), save=False)
    photo.thumbnail.save("p-thumb.jpg", ContentFile(b"jpeg-bytes"), save=False)
    photo.save()
    return photo


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body, status",
    [
        ({"password": "errada-123"}, 403),
        ({}, 422),
        (None, 422),  # an empty body: the password is missing
        ("[1, 2", 400),  # not JSON at all: malformed
        ({"password": ""}, 422),
        ({"password": PASSWORD, "force": True}, 422),
        ({"password": "x" * 129}, 422),
        ({"password": "a\x00b"}, 422),
        ({"password": 12345}, 422),
    ],
)
def test_deletion_needs_the_right_password(user_factory, api_client, body, status):
    user = user_factory()
    if isinstance(body, str):
        response = api_client.request("DELETE", URL, data=body, content_type="application/json", user=user)
    else:
        response = api_client.delete(URL, body, user=user)
    assert response.status_code == status, response.content
    assert "code" in response.json()
    assert User.objects.filter(pk=user.pk).exists()


@pytest.mark.django_db
def test_deletion_requires_authentication(api_client):
    assert api_client.delete(URL, {"password": PASSWORD}).status_code == 401


@pytest.mark.django_db(transaction=True)
def test_erasure_leaves_no_trace_of_the_person(user_factory, past_event, attend, api_client, seeded, media_root):
    if connection.vendor != "postgresql":
        pytest.skip("searches PostgreSQL's catalogue")
    me = user_factory(username="zelia_apagavel", email="Zelia.Apagavel@Example.org", first_name="Zélia",
                  last_name="Apagavelsobrenome")  # fmt: skip
    Profile.objects.filter(user=me).update(phone="+55 11 98888-7777", bio="Zélia Apagavelsobrenome, bióloga")
    other, staff = user_factory(), user_factory(is_staff=True)
    now = clock.now()

    # As a participant: attended one event, registered for another, commented, pledged, posted a photo.
    attended = past_event(organizer=other)
    attend(attended, me, checked_in=True, emergency_contact="Zélia's mãe", emergency_phone="+55 1")
    upcoming_other = past_event(organizer=other, start_date=now + timedelta(days=3))
    attend(upcoming_other, me)
    Comment.objects.create(event=attended, author=me, content="Obrigada, assinado Zélia Apagavelsobrenome")
    reply_target = Comment.objects.create(event=attended, author=other, content="comentário de outra pessoa")
    Comment.objects.create(event=attended, author=me, parent=reply_target, content="resposta da Zélia")
    resource = Resource.objects.create(event=upcoming_other, name="luvas", quantity_needed=5)
    Pledge.objects.create(resource=resource, user=me, quantity=1)
    photo = _photo(attended, me)
    photo_files = [media_root / photo.image.name, media_root / photo.thumbnail.name]
    assert all(path.exists() for path in photo_files)

    # As an organiser: a past reported event, a future event with people, a future empty one, a draft.
    past = past_event(organizer=me, title="Limpeza do mangue")
    attend(past, other, checked_in=True)
    report = EventReport.objects.create(
        event=past, participants=12, hours=Decimal(36), trash_kg=Decimal(80), recyclable_kg=Decimal(20),
        trees_planted=0, area_m2=Decimal(500), filed_by=me, summary="Foi ótimo",
    )  # fmt: skip
    future = past_event(organizer=me, start_date=now + timedelta(days=10))
    attend(future, other)
    future_empty = past_event(organizer=me, start_date=now + timedelta(days=20))
    draft = past_event(organizer=me, status=Event.Status.DRAFT, start_date=now + timedelta(days=30))
    draft.cover_image.save("capa.jpg", ContentFile(b"cover"), save=True)
    cover_file = media_root / draft.cover_image.name

    # Derived and technical records.
    badges.badges_award(user_id=me.pk)
    stats.user_stats_recompute(user_id=other.pk)
    other_stats_before = UserStats.objects.get(user=other).trash_kg
    EmailDelivery.objects.create(kind="registration", event_id=attended.pk, user_id=me.pk, recipient=me.email)
    LogEntry.objects.log_actions(
        user_id=staff.pk, queryset=[me], action_flag=CHANGE, change_message="changed bio", single_object=True
    )
    RefreshToken.for_user(me)  # an outstanding token row
    cached = f'{{"name": "Zélia", "email": "{me.email}"}}'.encode()
    IdempotencyRecord.objects.create(
        user=me, key="k", method="POST", path="/api/v1/x", request_hash="h", status_code=201, response_body=cached
    )
    assert UserBadge.objects.filter(user=me).exists()
    needles = ["zelia_apagavel", "Zelia.Apagavel@Example.org", "Apagavelsobrenome", "Zélia", "98888-7777"]
    # The search does find the person before the erasure (so an empty result afterwards means something).
    before = {(table, needle) for table, _column, needle in _occurrences(needles)}
    expected = {
        ("accounts_user", "zelia_apagavel"),
        ("accounts_profile", "98888-7777"),
        ("events_comment", "Zélia"),
        ("events_participation", "Zélia"),
        ("core_idempotencyrecord", "Zelia.Apagavel@Example.org"),
        ("core_idempotencyrecord", "Zélia"),
        ("notifications_emaildelivery", "Zelia.Apagavel@Example.org"),
    }
    assert expected <= before

    response = api_client.delete(URL, {"password": PASSWORD}, user=me)
    assert response.status_code == 204, response.content

    # The person is gone, and so is everything that was theirs.
    assert not User.objects.filter(pk=me.pk).exists()
    for model, lookup in [
        (Profile, "user_id"), (NotificationSettings, "user_id"), (Participation, "user_id"), (Pledge, "user_id"),
        (EventPhoto, "uploaded_by_id"), (UserBadge, "user_id"), (UserStats, "user_id"), (IdempotencyRecord, "user_id"),
        (EmailDelivery, "user_id"),
    ]:  # fmt: skip
        assert not model.objects.filter(**{lookup: me.pk}).exists(), model
    assert not any(path.exists() for path in photo_files)
    assert not cover_file.exists()
    assert not Event.objects.filter(pk=draft.pk).exists()
    # Their comments keep the threads' shape but lose author and text.
    assert not Comment.objects.filter(author_id=me.pk).exists()
    assert Comment.objects.filter(pk=reply_target.pk, content="comentário de outra pessoa").exists()
    assert set(Comment.objects.filter(author__isnull=True).values_list("content", flat=True)) == {""}

    # The community's history stays: events with the placeholder, reports anonymised, others' data intact.
    placeholder = User.objects.get(username=PLACEHOLDER_USERNAME)
    assert not placeholder.is_active and not placeholder.has_usable_password()
    for event in (past, future, future_empty):
        event.refresh_from_db()
        assert event.organizer_id == placeholder.pk
    assert past.status == Event.Status.PUBLISHED
    assert future.status == future_empty.status == Event.Status.CANCELLED
    report.refresh_from_db()
    assert report.filed_by_id is None and report.trash_kg == Decimal(80) and report.summary == "Foi ótimo"
    assert Participation.objects.filter(event=past, user=other, checked_in_at__isnull=False).exists()
    assert Participation.objects.filter(event=future, user=other).exists()
    stats.user_stats_recompute(user_id=other.pk)
    assert UserStats.objects.get(user=other).trash_kg == other_stats_before
    # The participants of the cancelled event are told, through the outbox.
    cancellations = [m.kwargs for m in OutboxMessage.objects.all() if m.kwargs.get("kind") == "cancellation"]
    assert {"event_id": future.pk, "user_id": other.pk} in [
        {"event_id": k["event_id"], "user_id": k["user_id"]} for k in cancellations
    ]

    # Not a trace of the person anywhere in the database.
    assert _occurrences(needles) == []

    # The old token no longer works, and the name is not reusable as the placeholder.
    assert api_client.get(URL, user=me).status_code == 401
    assert api_client.delete(URL, {"password": PASSWORD}, user=me).status_code == 401


@pytest.mark.django_db
def test_a_second_organiser_reuses_the_placeholder(user_factory, past_event, api_client):
    first, second = user_factory(), user_factory()
    one, two = past_event(organizer=first), past_event(organizer=second)
    assert api_client.delete(URL, {"password": PASSWORD}, user=first).status_code == 204
    assert api_client.delete(URL, {"password": PASSWORD}, user=second).status_code == 204
    assert User.objects.filter(username=PLACEHOLDER_USERNAME).count() == 1
    one.refresh_from_db(), two.refresh_from_db()
    assert one.organizer_id == two.organizer_id == User.objects.get(username=PLACEHOLDER_USERNAME).pk


@pytest.mark.django_db
def test_an_account_with_nothing_is_simply_deleted(user_factory, api_client):
    user = user_factory()
    assert api_client.delete(URL, {"password": PASSWORD}, user=user).status_code == 204
    assert not User.objects.filter(pk=user.pk).exists()
    assert not User.objects.filter(username=PLACEHOLDER_USERNAME).exists()  # created only when needed


@pytest.mark.django_db
def test_an_event_in_progress_is_kept_not_cancelled(user_factory, past_event, attend, api_client):
    me, other = user_factory(), user_factory()
    running = past_event(organizer=me, start_date=clock.now() - timedelta(hours=1), hours=4)
    attend(running, other, checked_in=True)
    assert api_client.delete(URL, {"password": PASSWORD}, user=me).status_code == 204
    running.refresh_from_db()
    assert running.status == Event.Status.PUBLISHED
    assert running.organizer.username == PLACEHOLDER_USERNAME


@pytest.mark.django_db
def test_the_placeholder_cannot_sign_in_register_or_be_seen(user_factory, past_event, api_client):
    me = user_factory()
    past_event(organizer=me)
    api_client.delete(URL, {"password": PASSWORD}, user=me)
    anonymous = api_client
    assert anonymous.get(f"/api/v1/users/{PLACEHOLDER_USERNAME}").status_code == 404
    token = anonymous.post("/api/v1/auth/token", {"username": PLACEHOLDER_USERNAME, "password": PASSWORD})
    assert token.status_code == 401


@pytest.mark.django_db
@pytest.mark.parametrize("username", [PLACEHOLDER_USERNAME, PLACEHOLDER_USERNAME.upper()])
def test_the_placeholder_name_is_reserved(api_client, username):
    response = api_client.post(
        "/api/v1/auth/register",
        {"username": username, "email": "alguem@example.org", "password": "uma-senha-bem-longa-42"},
    )
    assert response.status_code == 409
    assert response.json()["code"] == "username_taken"


@pytest.mark.domain
@pytest.mark.django_db
def test_wrong_password_changes_nothing(user_factory, past_event):
    me = user_factory()
    future = past_event(organizer=me, start_date=clock.now() + timedelta(days=2))
    with pytest.raises(Forbidden):
        lgpd.user_delete_account(user=me, password="errada")
    future.refresh_from_db()
    assert future.status == Event.Status.PUBLISHED and future.organizer_id == me.pk


@pytest.mark.domain
@pytest.mark.django_db
def test_the_placeholder_itself_cannot_be_erased(user_factory, past_event):
    me = user_factory()
    past_event(organizer=me)
    lgpd.user_delete_account(user=me, password=PASSWORD)
    placeholder = User.objects.get(username=PLACEHOLDER_USERNAME)
    placeholder.set_password("conhecida-123")  # even if someone gave it a password
    with pytest.raises(Forbidden):
        lgpd.user_delete_account(user=placeholder, password="conhecida-123")


@pytest.mark.domain
@pytest.mark.django_db
def test_an_active_account_squatting_the_placeholder_name_is_refused(user_factory, past_event):
    User.objects.create_user(username=PLACEHOLDER_USERNAME, email="squat@example.org", password="x-long-pass-1")
    me = user_factory()
    past_event(organizer=me)
    with pytest.raises(Exception) as excinfo:
        lgpd.user_delete_account(user=me, password=PASSWORD)
    assert getattr(excinfo.value, "code", "") == "placeholder_misconfigured"
    assert User.objects.filter(pk=me.pk).exists()


@pytest.mark.domain
@pytest.mark.django_db
def test_admin_log_entries_about_the_user_lose_the_name(user_factory):
    me, staff = user_factory(username="nome-no-log"), user_factory(is_staff=True)
    LogEntry.objects.log_actions(user_id=staff.pk, queryset=[me], action_flag=CHANGE, single_object=True)
    lgpd.user_delete_account(user=me, password=PASSWORD)
    entry = LogEntry.objects.get(content_type=ContentType.objects.get_for_model(User), object_id=str(me.pk))
    assert entry.object_repr == PLACEHOLDER_USERNAME


@pytest.mark.django_db
def test_password_guessing_is_throttled_per_account(user_factory, api_client, settings):
    settings.LOGIN_THROTTLE = "2/m"
    me, other = user_factory(), user_factory()
    guesses = [api_client.delete(URL, {"password": f"chute-{n}"}, user=me).status_code for n in range(2)]
    assert guesses == [403, 403]
    throttled = api_client.delete(URL, {"password": PASSWORD}, user=me)
    assert throttled.status_code == 429 and int(throttled["Retry-After"]) >= 1
    assert User.objects.filter(pk=me.pk).exists()
    assert api_client.delete(URL, {"password": PASSWORD}, user=other).status_code == 204  # others unaffected


@pytest.mark.django_db(transaction=True)
def test_concurrent_erasures_share_one_placeholder(user_factory, past_event):
    if connection.vendor != "postgresql":
        pytest.skip("needs real concurrent writers")
    organisers = [user_factory() for _ in range(4)]
    events = [past_event(organizer=organiser) for organiser in organisers]
    barrier, errors = threading.Barrier(len(organisers)), []

    def erase(user: User) -> None:
        try:
            barrier.wait()
            lgpd.user_delete_account(user=user, password=PASSWORD)
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=erase, args=(user,)) for user in organisers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    placeholder = User.objects.get(username=PLACEHOLDER_USERNAME)
    assert not User.objects.filter(pk__in=[u.pk for u in organisers]).exists()
    assert set(Event.objects.filter(pk__in=[e.pk for e in events]).values_list("organizer_id", flat=True)) == {
        placeholder.pk
    }


@pytest.mark.django_db
def test_reports_stop_naming_the_person_once_the_account_is_gone(user_factory, past_event, api_client):
    me = user_factory(username="ana_mangue", email="ana.souza@example.org", first_name="Ana", last_name="Souza")
    other = user_factory(first_name="Bia", last_name="Lima")
    mine, theirs = past_event(organizer=me, title="Mangue limpo"), past_event(organizer=other)
    figures = {"hours": Decimal(1), "trash_kg": Decimal(0), "recyclable_kg": Decimal(0), "area_m2": Decimal(0)}
    EventReport.objects.create(
        event=mine, participants=8, filed_by=me, **figures,
        summary="Organizado por Ana  Souza (ana_mangue). A Anabela levou luvas.",
        challenges="Falem com ANA.SOUZA@example.org ou com a Ana", achievements="Muitos voluntários",
    )  # fmt: skip
    EventReport.objects.create(event=theirs, participants=3, filed_by=other, summary="Bia Lima agradece", **figures)

    assert api_client.delete(URL, {"password": PASSWORD}, user=me).status_code == 204

    served = api_client.get(f"/api/v1/events/{mine.pk}/report").json()
    assert served["summary"] == "Organizado por [nome removido] ([nome removido]). A Anabela levou luvas."
    assert served["challenges"] == "Falem com [nome removido] ou com a [nome removido]"
    assert served["achievements"] == "Muitos voluntários"
    # Someone else's report keeps its own words.
    assert api_client.get(f"/api/v1/events/{theirs.pk}/report").json()["summary"] == "Bia Lima agradece"
