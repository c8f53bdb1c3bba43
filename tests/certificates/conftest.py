"""Certificates: ended events with checked-in people, and reading a PDF back (its text, its QR code)."""

import io
from collections.abc import Callable
from typing import Any

import pypdf
import pypdfium2
import pytest
import zxingcpp

from mutiroes.events.models import Event, Participation
from tests.accounts import conftest as accounts_fixtures

# The accounts tests' fixtures for ended events and attendance, shared here.
past_event = accounts_fixtures.past_event
attend = accounts_fixtures.attend


def pdf_text(content: bytes) -> str:
    """The text of every page as pypdf extracts it, with line breaks as spaces (a paragraph may wrap anywhere)."""
    reader = pypdf.PdfReader(io.BytesIO(content))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def pdf_qr_codes(content: bytes) -> list[str]:
    """Every QR code on the first page, rendered at 216 dpi and decoded by ZXing."""
    page = pypdfium2.PdfDocument(content)[0]
    image = page.render(scale=3).to_pil()
    return [result.text for result in zxingcpp.read_barcodes(image) if result.format == zxingcpp.BarcodeFormat.QRCode]


@pytest.fixture
def organiser(user_factory: Any) -> Any:
    return user_factory(first_name="Beatriz", last_name="Organizadora")


@pytest.fixture
def volunteer(user_factory: Any) -> Any:
    return user_factory(first_name="Joana", last_name="da Silva Pereira")


@pytest.fixture
def attended(past_event: Callable[..., Event], attend: Callable[..., Participation], organiser: Any, volunteer: Any):
    """A 3-hour event that ended yesterday in Recife, with the volunteer checked in."""
    event = past_event(organizer=organiser, title="Limpeza da Praia de Boa Viagem", city="Recife", state="PE")
    return attend(event, volunteer, checked_in=True)
