"""GET /users/me/export (LGPD): everything held about the caller, and nothing about anyone else."""

import json
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile

from mutiroes.certificates import badges, stats
from mutiroes.events.models import Comment, EventPhoto, Pledge, Resource
from mutiroes.impact.models import EventReport
from mutiroes.notifications.models import EmailDelivery

URL = "/api/v1/users/me/export"


@pytest.mark.django_db
def test_export_holds_every_kind_of_record(user_factory, past_event, attend, api_client, media_root):
    me = user_factory(first_name="Maria", last_name="Exportada")
    other = user_factory()
    event = past_event()
    attend(event, me, checked_in=True, emergency_contact="Mãe", emergency_phone="+55 81 90000-0000")
    attend(event, other, emergency_contact="OUTRA PESSOA")
    mine = past_event(organizer=me)
    EventReport.objects.create(
        event=mine, participants=3, hours=Decimal(6), trash_kg=Decimal(2), recyclable_kg=0, trees_planted=0,
        area_m2=0, filed_by=me, summary="relato",
    )  # fmt: skip
    Comment.objects.create(event=event, author=me, content="meu comentário")
    Comment.objects.create(event=event, author=other, content="comentário alheio")
    resource = Resource.objects.create(event=event, name="luvas", quantity_needed=10)
    Pledge.objects.create(resource=resource, user=me, quantity=2)
    photo = EventPhoto(event=event, uploaded_by=me, caption="antes", is_before=True)
    photo.image.save("a.jpg", ContentFile(b"jpeg"), save=False)
    photo.thumbnail.save("a-thumb.jpg", ContentFile(b"jpeg"), save=False)
    photo.save()
    EmailDelivery.objects.create(kind="registration", event_id=event.pk, user_id=me.pk, recipient=me.email)
    badges.badges_award(user_id=me.pk)
    stats.user_stats_recompute(user_id=me.pk)

    response = api_client.get(URL, user=me)
    assert response.status_code == 200
    data = response.json()
    assert data["account"]["email"] == me.email and data["account"]["first_name"] == "Maria"
    assert "password" not in data["account"]
    assert data["profile"]["is_public"] is True
    assert data["notification_settings"]["reminder_lead_hours"] == 24
    [participation] = data["participations"]
    assert participation["emergency_contact"] == "Mãe"
    assert participation["event_title"] == event.title
    assert [e["id"] for e in data["organized_events"]] == [mine.pk]
    assert [c["content"] for c in data["comments"]] == ["meu comentário"]
    assert [p["quantity"] for p in data["pledges"]] == ["2.00"]
    assert data["photos"][0]["caption"] == "antes" and data["photos"][0]["image"].endswith(".jpg")
    assert {b["slug"] for b in data["badges"]} >= {"primeiro-mutirao", "puxador-de-mutirao"}
    assert data["stats"]["events_attended"] == 1
    assert [r["summary"] for r in data["reports_filed"]] == ["relato"]
    assert [e["recipient"] for e in data["emails"]] == [me.email]
    assert data["exported_at"]
    # Nothing about the other participant leaks, and no credential goes into the file.
    text = json.dumps(data)
    assert "OUTRA PESSOA" not in text and "comentário alheio" not in text and other.email not in text
    assert "token_blacklist" not in text and "idempotency" not in text


@pytest.mark.django_db
def test_export_of_a_new_account_is_mostly_empty(user_factory, api_client):
    data = api_client.get(URL, user=user_factory()).json()
    for section in ("participations", "organized_events", "comments", "photos", "pledges", "badges", "reports_filed"):
        assert data[section] == []
    assert data["stats"] is None


@pytest.mark.django_db
def test_export_requires_authentication(api_client):
    assert api_client.get(URL).status_code == 401
