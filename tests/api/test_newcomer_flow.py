"""The newcomer's path from the issue, through HTTP only: register → token → confirm the e-mail → create and
publish → found with `near` → join → waitlisted when full → leave → promoted →
check in with the code at the right time."""

import csv
import io
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from mutiroes.accounts.models import User
from mutiroes.accounts.verification import email_verification_link
from mutiroes.core import clock
from mutiroes.events.models import Participation
from tests.support.api import event_body

pytestmark = pytest.mark.django_db

API = "/api/v1"
PASSWORD = "Mutir@o-verde-2025"


class Http:
    """A curl-like caller: JSON in and out, a bearer token once logged in."""

    def __init__(self, client):
        self.client = client
        self.token = None

    def call(self, method, path, body=None, **query):
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        if method == "get":
            return self.client.get(f"{API}{path}", query, headers=headers)
        return getattr(self.client, method)(
            f"{API}{path}", body if body is not None else {}, content_type="application/json", headers=headers
        )

    def sign_up(self, username):
        response = self.call(
            "post",
            "/auth/register",
            {"username": username, "email": f"{username}@exemplo.com.br", "password": PASSWORD, "first_name": username},
        )
        assert response.status_code == 201, response.content
        login = self.call("post", "/auth/token", {"username": username, "password": PASSWORD})
        assert login.status_code == 200, login.content
        self.token = login.json()["access"]
        return response.json()


def test_newcomer_flow(client, frozen_clock):
    organizer, bia, caio = Http(client), Http(client), Http(client)
    organizer.sign_up("organiza")
    bia_user = bia.sign_up("bia")
    caio_user = caio.sign_up("caio")

    # The organiser creates a draft in Ibirapuera park and publishes it.
    categories = organizer.call("get", "/categories").json()
    categories = categories["items"] if isinstance(categories, dict) else categories
    category_id = next(c["id"] for c in categories if c["slug"] == "limpeza")
    start = (clock.now() + timedelta(days=3)).replace(microsecond=0)
    draft = event_body(
        category_id,
        title="Limpeza do Ibirapuera",
        description="Coleta de resíduos no lago",
        address="Parque Ibirapuera, portão 3",
        latitude=-23.5874,
        longitude=-46.6576,
        start_date=start.isoformat(),
        end_date=(start + timedelta(hours=3)).isoformat(),
        max_participants=1,
        status="draft",
    )
    # Organising needs a confirmed address: refused until the e-mailed link is opened.
    refused = organizer.call("post", "/events", draft)
    assert (refused.status_code, refused.json()["code"]) == (403, "email_not_verified")
    link = email_verification_link(user=User.objects.get(username="organiza"))  # what the e-mail carries
    confirmed = organizer.call("post", "/auth/email/verify", {"token": parse_qs(urlsplit(link).query)["token"][0]})
    assert confirmed.status_code == 204, confirmed.content
    created = organizer.call("post", "/events", draft)
    assert created.status_code == 201, created.content
    event_id = created.json()["id"]
    assert bia.call("get", f"/events/{event_id}").status_code == 404  # a draft is the organiser's alone
    published = organizer.call("post", f"/events/{event_id}/publish")
    assert published.json()["status"] == "published"

    # Bia, at Paulista Avenue (~3 km away), finds it with `near`.
    found = bia.call("get", "/events", near="-23.5614,-46.6559", radius_km=10).json()
    assert [e["id"] for e in found["items"]] == [event_id]
    assert 2.5 <= found["items"][0]["distance_km"] <= 3.5
    assert found["items"][0]["check_in_code"] is None
    far = bia.call("get", "/events", near="-22.9068,-43.1729", radius_km=50).json()  # from Rio: nothing
    assert far["count"] == 0

    # Bia joins and takes the only place; Caio is waitlisted.
    joined = bia.call("post", f"/events/{event_id}/join", {"emergency_contact": "Mãe", "emergency_phone": "11 99999"})
    assert (joined.status_code, joined.json()["status"]) == (201, "confirmed")
    waiting = caio.call("post", f"/events/{event_id}/join")
    assert (waiting.status_code, waiting.json()["status"]) == (201, "waitlisted")
    assert caio.call("get", f"/events/{event_id}").json()["spots_left"] == 0

    # Bia leaves; Caio is promoted.
    left = bia.call("post", f"/events/{event_id}/leave")
    assert left.json()["status"] == "cancelled"
    caio_view = caio.call("get", f"/events/{event_id}").json()
    assert caio_view["my_participation"]["status"] == "confirmed"
    assert Participation.objects.get(event_id=event_id, user_id=caio_user["id"]).status == "confirmed"
    assert Participation.objects.get(event_id=event_id, user_id=bia_user["id"]).status == "cancelled"

    # The organiser reads the code (shown to them only) and Caio checks in with it, at the right time.
    code = organizer.call("get", f"/events/{event_id}").json()["check_in_code"]
    assert code
    event_start = datetime.fromisoformat(caio_view["start_date"])
    frozen_clock.set(event_start - timedelta(hours=3))
    too_early = caio.call("post", f"/events/{event_id}/check-in", {"code": code})
    assert (too_early.status_code, too_early.json()["code"]) == (409, "check_in_closed")
    frozen_clock.set(event_start - timedelta(minutes=20))
    checked = caio.call("post", f"/events/{event_id}/check-in", {"code": code})
    assert checked.status_code == 200, checked.content
    assert datetime.fromisoformat(checked.json()["checked_in_at"]) == event_start - timedelta(minutes=20)

    # The organiser's participant list and sign-in sheet reflect all of it.
    people = organizer.call("get", f"/events/{event_id}/participants").json()
    assert people["count"] == 2
    by_name = {p["user"]["username"]: p for p in people["items"]}
    assert by_name["caio"]["checked_in_at"] is not None
    assert by_name["bia"]["status"] == "cancelled"
    assert by_name["bia"]["emergency_contact"] == "Mãe"
    sheet = organizer.call("get", f"/events/{event_id}/participants.csv")
    rows = {r["usuario"]: r for r in csv.DictReader(io.StringIO(sheet.content.decode()))}
    assert rows["caio"]["status"] == "confirmed"
    assert rows["caio"]["check-in"]
    assert bia.call("get", f"/events/{event_id}/participants.csv").status_code == 403
