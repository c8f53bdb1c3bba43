from typing import Annotated

from django.http import HttpRequest, HttpResponse
from ninja import Path, Query, Router
from pydantic import Field

from mutiroes.api.auth import jwt
from mutiroes.api.pagination import PageParams, paginate
from mutiroes.api.schemas.certificates import (
    CertificateFilters,
    CertificateStateOut,
    CertificateVerificationOut,
    HoursAdjustIn,
    MyCertificatePage,
    ParticipantHoursOut,
    ParticipantHoursPage,
    RevokeIn,
)
from mutiroes.api.schemas.common import Error, Id
from mutiroes.api.throttles import CertificateLookupThrottle
from mutiroes.certificates import pdf, selectors, services
from mutiroes.events import selectors as event_selectors

router = Router(tags=["certificates"])
READ = {401: Error, 404: Error, 409: Error, 422: Error}
WRITE = {401: Error, 403: Error, 404: Error, 409: Error, 422: Error}
PDF = {"responses": {200: {"description": "the certificate, A4", "content": {"application/pdf": {}}}}}
Year = Annotated[int, Field(ge=1970, le=2200)]


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@router.get("/events/{event_id}/certificate.pdf", response={200: bytes, **READ}, auth=jwt, openapi_extra=PDF)
def download_certificate(request: HttpRequest, event_id: Path[Id]) -> HttpResponse:
    """The caller's own certificate for an ended event they checked in to (issued on the first download)."""
    certificate = services.certificate_issue(event_id=event_id, user=request.auth)
    return _pdf(pdf.event_certificate_pdf(certificate), f"certificado-mutirao-{event_id}.pdf")


@router.get("/users/me/certificates", response={200: MyCertificatePage, 401: Error, 422: Error}, auth=jwt)
def list_my_certificates(request: HttpRequest, filters: Query[CertificateFilters], page: Query[PageParams]) -> dict:
    """The caller's events that give hours, newest first, with the hours and the certificate's state."""
    rows = selectors.user_certificate_list(user=request.auth, event_id=filters.event_id, year=filters.year)
    result = paginate(rows, page)
    return result | {"items": selectors.with_certificates(result["items"])}


@router.get("/users/me/certificates/{year}.pdf", response={200: bytes, **READ}, auth=jwt, openapi_extra=PDF)
def download_yearly_certificate(request: HttpRequest, year: Path[Year]) -> HttpResponse:
    """Every certified event of a calendar year (São Paulo time), one line each, with the total."""
    certificates = services.certificates_for_year(user=request.auth, year=year)
    holder = services.full_name(request.auth)
    content = pdf.yearly_certificate_pdf(holder_name=holder, year=year, certificates=certificates)
    return _pdf(content, f"declaracao-horas-voluntariado-{year}.pdf")


@router.get(
    "/certificates/{code}",
    response={200: CertificateVerificationOut, 404: Error, 429: Error},
    auth=None,
    throttle=[CertificateLookupThrottle()],
)
def verify_certificate(request: HttpRequest, code: str) -> dict:
    """Public: what a certificate states, for anyone holding its code. A revoked one shows only "revogado"."""
    certificate = selectors.certificate_get_by_code(code=code[:100])
    return selectors.certificate_public_facts(certificate, url=pdf.verification_url(certificate.code))


@router.get("/events/{event_id}/hours", response={200: ParticipantHoursPage, **WRITE}, auth=jwt)
def list_event_hours(request: HttpRequest, event_id: Path[Id], page: Query[PageParams]) -> dict:
    """The organiser's view: each confirmed participant's hours, adjustments and certificate state."""
    event = event_selectors.event_get_managed(event_id=event_id, user=request.auth)
    result = paginate(selectors.event_hours_list(event=event), page)
    return result | {"items": selectors.with_hours(result["items"])}


@router.put(
    "/events/{event_id}/participants/{participation_id}/hours",
    response={200: ParticipantHoursOut, **WRITE},
    auth=jwt,
)
def adjust_hours(
    request: HttpRequest, event_id: Path[Id], participation_id: Path[Id], payload: HoursAdjustIn
) -> object:
    """The organiser (or staff) sets a checked-in participant's hours, with a reason, until 30 days after the end."""
    services.hours_adjust(
        event_id=event_id, participation_id=participation_id, user=request.auth, hours=payload.hours,
        reason=payload.reason,
    )  # fmt: skip
    return selectors.event_hours_row(event_id=event_id, participation_id=participation_id)


@router.post(
    "/events/{event_id}/participants/{participation_id}/certificate/revoke",
    response={200: CertificateStateOut, **WRITE},
    auth=jwt,
)
def revoke_certificate(
    request: HttpRequest, event_id: Path[Id], participation_id: Path[Id], payload: RevokeIn
) -> object:
    """The organiser (or staff) revokes a participant's certificate for the event; none is issued after that."""
    certificate = services.certificate_revoke(
        event_id=event_id, participation_id=participation_id, user=request.auth, reason=payload.reason
    )
    return selectors.certificate_state(certificate)
