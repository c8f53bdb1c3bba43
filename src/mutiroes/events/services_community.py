"""Writes for an event's community features: resources and pledges, photos, comments.

Who may do what: the organiser manages resources and moderates photos and comments; people holding a
place (confirmed or pending) pledge; confirmed or checked-in participants and the organiser post photos;
anyone who can see the event comments (cancelled events too: the conversation may go on). Invisible events
are 404, visible-but-not-yours is 403. Cancelled and completed events take no resource or pledge changes;
cancelled events take no photos.
"""

import logging
import uuid
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.db import transaction

from mutiroes.accounts.models import User
from mutiroes.core import clock
from mutiroes.core.exceptions import Forbidden, InvalidState, NotFound, ValidationFailed
from mutiroes.events import images, selectors
from mutiroes.events.models import Comment, Event, EventPhoto, Participation, Pledge, Resource

logger = logging.getLogger(__name__)

RESOURCE_FIELDS = {"name", "description", "resource_type", "quantity_needed", "unit"}
CLOSED = (Event.Status.CANCELLED, Event.Status.COMPLETED)


def _ensure_open(event: Event) -> None:
    if event.status in CLOSED:
        raise InvalidState(f"the event is {event.status}", code="event_closed", status=event.status)


def _open_managed_event(*, event_id: int, user: User) -> Event:
    event = selectors.event_get_managed(event_id=event_id, user=user)
    _ensure_open(event)
    return event


def _resource_of(*, event: Event, resource_id: int, lock: bool = False) -> Resource:
    resources = Resource.objects.select_for_update() if lock else Resource.objects.all()
    resource = resources.filter(event=event, pk=resource_id).first()
    if resource is None:
        raise NotFound("resource", resource_id=resource_id)
    return resource


def resource_create(*, event_id: int, user: User, data: dict[str, Any]) -> Resource:
    event = _open_managed_event(event_id=event_id, user=user)
    resource = Resource.objects.create(event=event, **{k: v for k, v in data.items() if k in RESOURCE_FIELDS})
    logger.info("resource %s added to event %s by user %s", resource.pk, event.pk, user.pk)
    return resource


@transaction.atomic
def resource_update(*, event_id: int, resource_id: int, user: User, data: dict[str, Any]) -> Resource:
    event = _open_managed_event(event_id=event_id, user=user)
    resource = _resource_of(event=event, resource_id=resource_id, lock=True)
    changes = {k: v for k, v in data.items() if k in RESOURCE_FIELDS}
    for name, value in changes.items():
        setattr(resource, name, value)
    resource.save()
    return resource


@transaction.atomic
def resource_delete(*, event_id: int, resource_id: int, user: User) -> None:
    event = _open_managed_event(event_id=event_id, user=user)
    _resource_of(event=event, resource_id=resource_id, lock=True).delete()  # its pledges go with it
    logger.info("resource %s of event %s deleted by user %s", resource_id, event_id, user.pk)


def _pledgeable_resource(*, event_id: int, resource_id: int, user: User) -> Resource:
    event = selectors.event_get_visible(event_id=event_id, user=user)
    # The row lock serialises one resource's pledges, so the upsert below never races on the unique key.
    resource = _resource_of(event=event, resource_id=resource_id, lock=True)
    holds_spot = Participation.objects.filter(event=event, user=user, status__in=Participation.HOLDS_SPOT).exists()
    if not holds_spot:
        raise Forbidden("only participants with a place at the event can pledge", code="not_participant")
    _ensure_open(event)
    return resource


@transaction.atomic
def pledge_set(*, event_id: int, resource_id: int, user: User, quantity: Decimal) -> bool:
    """Set the caller's pledge (one per user and resource); 0 withdraws it. Returns True if a pledge was created.

    Pledging more than is still needed is allowed: the surplus is shown, not refused.
    """
    resource = _pledgeable_resource(event_id=event_id, resource_id=resource_id, user=user)
    if quantity == 0:
        Pledge.objects.filter(resource=resource, user=user).delete()
        return False
    _pledge, created = Pledge.objects.update_or_create(resource=resource, user=user, defaults={"quantity": quantity})
    return created


@transaction.atomic
def pledge_withdraw(*, event_id: int, resource_id: int, user: User) -> None:
    event = selectors.event_get_visible(event_id=event_id, user=user)
    resource = _resource_of(event=event, resource_id=resource_id)
    _ensure_open(event)
    Pledge.objects.filter(resource=resource, user=user).delete()  # nothing pledged: nothing to do


def _may_post_photos(*, event: Event, user: User) -> bool:
    if selectors.can_manage(event=event, user=user):
        return True
    participation = selectors.participation_of(event=event, user=user)
    return participation is not None and (
        participation.status == Participation.Status.CONFIRMED or participation.checked_in_at is not None
    )


def photo_upload(
    *, event_id: int, user: User, upload: File, caption: str = "", is_before: bool = False, is_after: bool = False
) -> EventPhoto:
    """Store a re-encoded copy (no metadata) and a thumbnail. Not atomic: decoding runs outside any transaction."""
    event = selectors.event_get_visible(event_id=event_id, user=user)
    if not _may_post_photos(event=event, user=user):
        raise Forbidden("only the organiser and confirmed participants post photos", code="not_participant")
    if event.status == Event.Status.CANCELLED:
        raise InvalidState("the event is cancelled", code="event_closed", status=event.status)
    if is_before and is_after:
        raise ValidationFailed("a photo is from before or after the event, not both", is_after="not with is_before")
    clean = images.clean_photo(
        upload,
        size=upload.size,
        max_bytes=settings.PHOTO_MAX_BYTES,
        max_pixels=settings.PHOTO_MAX_PIXELS,
        thumbnail_px=settings.PHOTO_THUMBNAIL_PX,
    )
    photo = EventPhoto(event=event, uploaded_by=user, caption=caption, is_before=is_before, is_after=is_after)
    name = uuid.uuid4().hex
    photo.image.save(f"{name}.{clean.extension}", ContentFile(clean.content), save=False)
    photo.thumbnail.save(f"{name}-thumb.{clean.extension}", ContentFile(clean.thumbnail), save=False)
    try:
        photo.save()
    except Exception:
        # No row points at the files: remove them rather than leave orphans in the storage.
        photo.image.delete(save=False)
        photo.thumbnail.delete(save=False)
        raise
    logger.info("photo %s uploaded to event %s by user %s", photo.pk, event.pk, user.pk)
    return photo


@transaction.atomic
def photo_delete(*, event_id: int, photo_id: int, user: User) -> None:
    event = selectors.event_get_visible(event_id=event_id, user=user)
    photo = EventPhoto.objects.filter(event=event, pk=photo_id).first()
    if photo is None:
        raise NotFound("photo", photo_id=photo_id)
    if photo.uploaded_by_id != user.pk and not selectors.can_manage(event=event, user=user):
        raise Forbidden("only the author or the organiser can remove a photo", code="not_owner")
    photo.delete()  # the files are removed after commit (models._delete_photo_files)
    logger.info("photo %s of event %s deleted by user %s", photo_id, event_id, user.pk)


def comment_create(*, event_id: int, user: User, content: str, parent_id: int | None = None) -> Comment:
    """Comment on an event anyone may see. Replies go one level deep: a reply to a reply is refused (422)."""
    event = selectors.event_get_visible(event_id=event_id, user=user)
    parent = None
    if parent_id is not None:
        parent = Comment.objects.filter(event=event, pk=parent_id).first()
        if parent is None:
            raise ValidationFailed("unknown parent comment", parent_id="no such comment on this event")
        if parent.parent_id is not None:
            raise ValidationFailed(
                "replies go one level deep", parent_id=f"reply to the top-level comment {parent.parent_id} instead"
            )
        if parent.is_deleted:
            raise ValidationFailed("that comment was removed", parent_id="the comment was removed")
    return Comment.objects.create(event=event, author=user, parent=parent, content=content)


@transaction.atomic
def comment_delete(*, event_id: int, comment_id: int, user: User) -> None:
    """Soft delete by the author or the organiser: the text is erased, the row keeps the thread's shape."""
    event = selectors.event_get_visible(event_id=event_id, user=user)
    comment = Comment.objects.select_for_update().filter(event=event, pk=comment_id).first()
    if comment is None:
        raise NotFound("comment", comment_id=comment_id)
    if comment.author_id != user.pk and not selectors.can_manage(event=event, user=user):
        raise Forbidden("only the author or the organiser can remove a comment", code="not_owner")
    if comment.is_deleted:
        return
    comment.content = ""
    comment.deleted_at = clock.now()
    comment.deleted_by = user
    comment.save(update_fields=["content", "deleted_at", "deleted_by", "updated_at"])
    logger.info("comment %s of event %s removed by user %s", comment_id, event_id, user.pk)
