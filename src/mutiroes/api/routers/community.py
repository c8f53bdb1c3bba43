from django.http import HttpRequest
from ninja import File, Form, Path, Query, Router, Status, UploadedFile

from mutiroes.api.auth import current_user, jwt, optional_jwt
from mutiroes.api.pagination import PageParams, paginate
from mutiroes.api.schemas.common import Error, Id
from mutiroes.api.schemas.community import (
    PHOTO_FILE_FIELD,
    PHOTO_TYPES,
    CommentIn,
    CommentOut,
    CommentThreadPage,
    PhotoIn,
    PhotoOut,
    PhotoPage,
    PledgeIn,
    ResourceIn,
    ResourceOut,
    ResourcePage,
    ResourcePatch,
)
from mutiroes.events import selectors, selectors_community, services_community

router = Router(tags=["community"])
# What the upload takes; the content is checked too, whatever the part's declared type says.
PHOTO_ENCODING = {PHOTO_FILE_FIELD: {"contentType": ", ".join(PHOTO_TYPES)}}
READ = {401: Error, 404: Error, 422: Error}
WRITE = {401: Error, 403: Error, 404: Error, 409: Error, 422: Error}


def _resource_out(request: HttpRequest, event_id: int, resource_id: int) -> object:
    user = current_user(request)
    event = selectors.event_get_visible(event_id=event_id, user=user)
    return selectors_community.resource_get(event=event, resource_id=resource_id, user=user)


@router.get("/events/{event_id}/resources", response={200: ResourcePage, **READ}, auth=optional_jwt)
def list_resources(request: HttpRequest, event_id: Path[Id], page: Query[PageParams]) -> dict:
    """The resources an event needs (tools, materials), with what has been pledged."""
    user = current_user(request)
    event = selectors.event_get_visible(event_id=event_id, user=user)
    return paginate(selectors_community.resource_list(event=event, user=user), page)


@router.post("/events/{event_id}/resources", response={201: ResourceOut, **WRITE}, auth=jwt)
def create_resource(request: HttpRequest, event_id: Path[Id], payload: ResourceIn) -> Status:
    """Organiser: add a resource the event needs."""
    resource = services_community.resource_create(event_id=event_id, user=request.auth, data=payload.model_dump())
    return Status(201, _resource_out(request, event_id, resource.pk))


@router.patch("/events/{event_id}/resources/{resource_id}", response={200: ResourceOut, **WRITE}, auth=jwt)
def update_resource(request: HttpRequest, event_id: Path[Id], resource_id: Path[Id], payload: ResourcePatch) -> object:
    """Organiser: change a resource; fields left out stay as they are."""
    services_community.resource_update(
        event_id=event_id, resource_id=resource_id, user=request.auth, data=payload.model_dump(exclude_unset=True)
    )
    return _resource_out(request, event_id, resource_id)


@router.delete("/events/{event_id}/resources/{resource_id}", response={204: None, **WRITE}, auth=jwt)
def delete_resource(request: HttpRequest, event_id: Path[Id], resource_id: Path[Id]) -> Status:
    """Organiser: remove a resource and its pledges."""
    services_community.resource_delete(event_id=event_id, resource_id=resource_id, user=request.auth)
    return Status(204, None)


@router.post(
    "/events/{event_id}/resources/{resource_id}/pledges",
    response={200: ResourceOut, 201: ResourceOut, **WRITE},
    auth=jwt,
)
def pledge_resource(request: HttpRequest, event_id: Path[Id], resource_id: Path[Id], payload: PledgeIn) -> Status:
    """Participant: pledge to bring a quantity of a resource (an upsert; 0 withdraws)."""
    created = services_community.pledge_set(
        event_id=event_id, resource_id=resource_id, user=request.auth, quantity=payload.quantity
    )
    return Status(201 if created else 200, _resource_out(request, event_id, resource_id))


@router.delete("/events/{event_id}/resources/{resource_id}/pledges", response={204: None, **WRITE}, auth=jwt)
def withdraw_pledge(request: HttpRequest, event_id: Path[Id], resource_id: Path[Id]) -> Status:
    """Participant: withdraw the caller's pledge for a resource."""
    services_community.pledge_withdraw(event_id=event_id, resource_id=resource_id, user=request.auth)
    return Status(204, None)


@router.get("/events/{event_id}/photos", response={200: PhotoPage, **READ}, auth=optional_jwt)
def list_photos(request: HttpRequest, event_id: Path[Id], page: Query[PageParams]) -> dict:
    """Photos of an event, newest first."""
    event = selectors.event_get_visible(event_id=event_id, user=current_user(request))
    return paginate(selectors_community.photo_list(event=event), page)


@router.post(
    "/events/{event_id}/photos",
    response={201: PhotoOut, **WRITE, 413: Error, 415: Error},
    auth=jwt,
    openapi_extra={"requestBody": {"content": {"multipart/form-data": {"encoding": PHOTO_ENCODING}}}},
)
def upload_photo(request: HttpRequest, event_id: Path[Id], photo: File[UploadedFile], payload: Form[PhotoIn]) -> Status:
    """Participant: upload a photo (JPEG, PNG or WebP); metadata such as GPS is removed."""
    created = services_community.photo_upload(
        event_id=event_id, user=request.auth, upload=photo, **payload.model_dump()
    )
    return Status(201, created)


@router.delete("/events/{event_id}/photos/{photo_id}", response={204: None, **WRITE}, auth=jwt)
def delete_photo(request: HttpRequest, event_id: Path[Id], photo_id: Path[Id]) -> Status:
    """Delete a photo: its uploader or the organiser."""
    services_community.photo_delete(event_id=event_id, photo_id=photo_id, user=request.auth)
    return Status(204, None)


@router.get("/events/{event_id}/comments", response={200: CommentThreadPage, **READ}, auth=optional_jwt)
def list_comments(request: HttpRequest, event_id: Path[Id], page: Query[PageParams]) -> dict:
    """The event's comment threads: top-level comments with their replies."""
    event = selectors.event_get_visible(event_id=event_id, user=current_user(request))
    return paginate(selectors_community.comment_thread_list(event=event), page)


@router.post("/events/{event_id}/comments", response={201: CommentOut, **WRITE}, auth=jwt)
def create_comment(request: HttpRequest, event_id: Path[Id], payload: CommentIn) -> Status:
    """Comment on an event, or reply to a top-level comment."""
    comment = services_community.comment_create(
        event_id=event_id, user=request.auth, content=payload.content, parent_id=payload.parent_id
    )
    return Status(201, comment)


@router.delete("/events/{event_id}/comments/{comment_id}", response={204: None, **WRITE}, auth=jwt)
def delete_comment(request: HttpRequest, event_id: Path[Id], comment_id: Path[Id]) -> Status:
    """Remove a comment: its author or the organiser (moderation)."""
    services_community.comment_delete(event_id=event_id, comment_id=comment_id, user=request.auth)
    return Status(204, None)
