from django.http import HttpRequest, HttpResponse
from ninja import Path, Query, Router, Status

from mutiroes.api.auth import current_user, jwt, optional_jwt
from mutiroes.api.caching import public_read
from mutiroes.api.pagination import PageParams, paginate
from mutiroes.api.schemas.common import Error, Id
from mutiroes.api.schemas.events import (
    CategoryOut,
    EventFiltersIn,
    EventIn,
    EventOut,
    EventPage,
    EventPatch,
    EventStatsOut,
    parse_near,
)
from mutiroes.api.serializers import with_my_participation
from mutiroes.events import calendar, selectors, services

router = Router(tags=["events"])
READ = {401: Error, 404: Error}
WRITE = {401: Error, 403: Error, 404: Error, 409: Error, 422: Error}


@router.get("/categories", response=list[CategoryOut], auth=None)
def list_categories(request: HttpRequest) -> list:
    """The event categories (cleanup, planting...)."""
    return list(selectors.category_list())


@router.get("/events", response={200: EventPage, 401: Error, 422: Error, 503: Error}, auth=optional_jwt)
def list_events(request: HttpRequest, filters: Query[EventFiltersIn], page: Query[PageParams]) -> object:
    """Search events: filters, full-text `q`, `near` with a radius, ordering; paginated."""
    params = filters.model_dump()
    params["near"] = parse_near(params["near"]) if params["near"] else None
    user = current_user(request)

    def compute() -> dict:
        wanted = selectors.EventFilters(**params)
        events = selectors.event_list(filters=wanted, user=user)
        result = paginate(events, page, read_rows=selectors.event_list_nearest_rows(events, filters=wanted))
        with_my_participation(result["items"], user)
        return result

    if user is not None:
        return compute()  # personal (my_participation, own drafts): never shared through the cache

    def compute_public() -> dict:
        return EventPage.model_validate(compute(), context={"request": request}).model_dump(mode="json")

    return public_read("events", {**params, **page.model_dump()}, compute_public)


@router.post("/events", response={201: EventOut, **WRITE}, auth=jwt)
def create_event(request: HttpRequest, payload: EventIn) -> Status:
    """Create an event as its organiser, as a draft or published."""
    event = services.event_create(organizer=request.auth, data=payload.model_dump())
    return Status(201, _event_out(event.pk, request))


def _event_out(event_id: int, request: HttpRequest) -> object:
    user = current_user(request)
    event = selectors.event_get_visible(event_id=event_id, user=user)
    return with_my_participation([event], user)[0]


@router.get("/events/{event_id}", response={200: EventOut, **READ}, auth=optional_jwt)
def get_event(request: HttpRequest, event_id: Path[Id]) -> object:
    """One event, with the caller's participation when signed in."""
    return _event_out(event_id, request)


@router.patch("/events/{event_id}", response={200: EventOut, **WRITE}, auth=jwt)
def update_event(request: HttpRequest, event_id: Path[Id], payload: EventPatch) -> object:
    """Organiser: change an event; date, place or capacity changes notify the participants."""
    services.event_update(event_id=event_id, user=request.auth, data=payload.model_dump(exclude_unset=True))
    return _event_out(event_id, request)


@router.post("/events/{event_id}/publish", response={200: EventOut, **WRITE}, auth=jwt)
def publish_event(request: HttpRequest, event_id: Path[Id]) -> object:
    """Organiser: publish a draft, so that others can find and join it."""
    services.event_publish(event_id=event_id, user=request.auth)
    return _event_out(event_id, request)


@router.post("/events/{event_id}/cancel", response={200: EventOut, **WRITE}, auth=jwt)
def cancel_event(request: HttpRequest, event_id: Path[Id]) -> object:
    """Organiser: cancel the event; the participants are notified by e-mail."""
    services.event_cancel(event_id=event_id, user=request.auth)
    return _event_out(event_id, request)


@router.delete("/events/{event_id}", response={204: None, **WRITE}, auth=jwt)
def delete_event(request: HttpRequest, event_id: Path[Id]) -> Status:
    """Organiser: delete a draft or an event nobody joined."""
    services.event_delete(event_id=event_id, user=request.auth)
    return Status(204, None)


@router.get(
    "/events/{event_id}/calendar.ics",
    response={200: str, **READ},
    auth=optional_jwt,
    openapi_extra={"responses": {200: {"description": "iCalendar", "content": {"text/calendar": {}}}}},
)
def get_event_calendar(request: HttpRequest, event_id: Path[Id]) -> HttpResponse:
    """The event as an iCalendar file (.ics) to add to a calendar."""
    event = selectors.event_get_visible(event_id=event_id, user=current_user(request))
    response = HttpResponse(calendar.event_ics(event), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="mutirao-{event.pk}.ics"'
    return response


@router.get("/events/{event_id}/stats", response={200: EventStatsOut, **READ}, auth=optional_jwt)
def get_event_stats(request: HttpRequest, event_id: Path[Id]) -> dict:
    """Counts for an event: participants by status, check-ins, spots left, photos, resources."""
    event = selectors.event_get_visible(event_id=event_id, user=current_user(request))
    return selectors.event_stats(event=event)
