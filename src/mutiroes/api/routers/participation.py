from django.http import HttpRequest, HttpResponse
from ninja import Path, Query, Router, Status

from mutiroes.api.auth import jwt
from mutiroes.api.csv_response import csv_response
from mutiroes.api.pagination import PageParams, paginate
from mutiroes.api.schemas.common import Error, Id
from mutiroes.api.schemas.events import (
    CheckInIn,
    JoinIn,
    ParticipantOut,
    ParticipantPage,
    ParticipationOut,
    ParticipationStatusIn,
)
from mutiroes.events import selectors, services

router = Router(tags=["participation"])
WRITE = {401: Error, 403: Error, 404: Error, 409: Error, 422: Error}


@router.post("/events/{event_id}/join", response={200: ParticipationOut, 201: ParticipationOut, **WRITE}, auth=jwt)
def join_event(request: HttpRequest, event_id: Path[Id], payload: JoinIn | None = None) -> Status:
    """Join an event: confirmed, pending approval, or on the waiting list when full."""
    details = payload.model_dump() if payload is not None else {}
    participation, joined = services.participation_join(event_id=event_id, user=request.auth, details=details)
    return Status(201 if joined else 200, participation)


@router.post("/events/{event_id}/leave", response={200: ParticipationOut, **WRITE}, auth=jwt)
def leave_event(request: HttpRequest, event_id: Path[Id]) -> object:
    """Leave an event; the first person on the waiting list is promoted."""
    participation, _promoted = services.participation_leave(event_id=event_id, user=request.auth)
    return participation


@router.get("/events/{event_id}/participants", response={200: ParticipantPage, **WRITE}, auth=jwt)
def list_participants(request: HttpRequest, event_id: Path[Id], page: Query[PageParams]) -> dict:
    """Organiser: everyone registered, with contact and emergency data."""
    event = selectors.event_get_managed(event_id=event_id, user=request.auth)
    return paginate(selectors.participant_list(event=event), page)


@router.get(
    "/events/{event_id}/participants.csv",
    response={200: str, **WRITE},
    auth=jwt,
    openapi_extra={"responses": {200: {"description": "sign-in sheet", "content": {"text/csv": {}}}}},
)
def get_sign_in_sheet(request: HttpRequest, event_id: Path[Id]) -> HttpResponse:
    """Organiser: the participants as a CSV sign-in sheet."""
    event = selectors.event_get_managed(event_id=event_id, user=request.auth)
    header = ["nome", "usuario", "e-mail", "status", "contato de emergencia", "telefone de emergencia",
              "necessidades especiais", "experiencia", "check-in", "assinatura"]  # fmt: skip
    rows = (
        [
            f"{p.user.first_name} {p.user.last_name}".strip(),
            p.user.username,
            p.user.email,
            p.status,
            p.emergency_contact,
            p.emergency_phone,
            p.special_needs,
            p.experience_level,
            p.checked_in_at.isoformat() if p.checked_in_at else "",
            "",
        ]  # fmt: skip
        for p in selectors.participant_list(event=event)
    )
    return csv_response(header, rows, filename=f"mutirao-{event.pk}-lista-de-presenca.csv")


@router.patch("/events/{event_id}/participants/{participation_id}", response={200: ParticipantOut, **WRITE}, auth=jwt)
def update_participant(
    request: HttpRequest, event_id: Path[Id], participation_id: Path[Id], payload: ParticipationStatusIn
) -> object:
    """Organiser: approve or reject a participation."""
    participation, _promoted = services.participation_set_status(
        event_id=event_id, participation_id=participation_id, user=request.auth, status=payload.status
    )
    return participation


@router.post("/events/{event_id}/check-in", response={200: ParticipationOut, **WRITE, 429: Error}, auth=jwt)
def check_in(request: HttpRequest, event_id: Path[Id], payload: CheckInIn) -> object:
    """Check in: the participant sends the event's code, or the organiser sends a user_id."""
    return services.participation_check_in(
        event_id=event_id, user=request.auth, code=payload.code, user_id=payload.user_id
    )
