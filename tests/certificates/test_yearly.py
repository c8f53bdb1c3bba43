"""The yearly statement: the calendar year where the events happen (São Paulo), one line per event, a total."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.certificates.pdf import pdf_text
from tests.support.api import assert_error

pytestmark = pytest.mark.django_db
SP = ZoneInfo("America/Sao_Paulo")


def test_the_year_is_counted_in_sao_paulo_across_31_december(api_client, past_event, attend, volunteer, frozen_clock):
    def event(title, start, hours, checked_in=True):
        made = past_event(title=title, start_date=start, hours=hours)
        attend(made, volunteer, checked_in=checked_in)

    # 31 Dec 2025 22:00 in São Paulo is already 2026 in UTC; 1 Jan 2026 00:30 is 2026 in both.
    event("Reveillon na praia", datetime(2025, 12, 31, 22, tzinfo=SP), 1.5)
    event("Virada limpa", datetime(2025, 12, 31, 23, tzinfo=SP), 3)  # runs into 2026: counted where it starts
    event("Plantio de janeiro", datetime(2025, 1, 1, 1, tzinfo=SP), 2)  # 1 Jan 2025 01:00, 04:00 UTC
    event("Fim de 2024", datetime(2024, 12, 31, 23, 30, tzinfo=SP), 1)  # 1 Jan 2025 02:30 UTC: still 2024
    event("Primeiro de 2026", datetime(2026, 1, 1, 0, 30, tzinfo=SP), 4)  # 03:30 UTC, 2026
    event("Faltou", datetime(2025, 6, 1, 9, tzinfo=SP), 5, checked_in=False)
    frozen_clock.set(datetime(2026, 2, 1, 12, tzinfo=SP))

    response = api_client.get("/api/v1/users/me/certificates/2025.pdf", user=volunteer)
    assert response.status_code == 200, response.content
    text = pdf_text(response.content)
    assert "DECLARAÇÃO ANUAL DE HORAS DE VOLUNTARIADO — 2025" in text and "Joana da Silva Pereira" in text
    for included in ("Plantio de janeiro", "Reveillon na praia", "Virada limpa"):
        assert included in text
    for excluded in ("Fim de 2024", "Primeiro de 2026", "Faltou"):
        assert excluded not in text
    assert "6,5 horas" in text and "Total de horas no ano 6,5" in text

    listed = api_client.get("/api/v1/users/me/certificates", {"year": 2025}, user=volunteer).json()["items"]
    titles = sorted(item["event_title"] for item in listed)
    assert titles == ["Plantio de janeiro", "Reveillon na praia", "Virada limpa"]
    assert all(item["downloadable"] and item["certificate"]["status"] == "valid" for item in listed)
    # Each line is a certificate of its own, verifiable by the code printed beside it.
    for item in listed:
        assert item["certificate"]["code"] in text
    next_year = api_client.get("/api/v1/users/me/certificates/2026.pdf", user=volunteer)
    assert "Primeiro de 2026" in pdf_text(next_year.content)


def test_a_year_without_certified_hours_is_404(api_client, volunteer, past_event, attend):
    attend(past_event(start_date=datetime(2025, 3, 1, 9, tzinfo=SP)), volunteer)
    assert_error(api_client.get("/api/v1/users/me/certificates/2025.pdf", user=volunteer), 404)
    assert_error(api_client.get("/api/v1/users/me/certificates/1900.pdf", user=volunteer), 422)
    assert_error(api_client.get("/api/v1/users/me/certificates/2025.pdf"), 401)
