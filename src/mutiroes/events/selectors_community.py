"""Reads for an event's resources, photos and comments. Callers pass an event they already may see."""

from decimal import Decimal

from django.db.models import Count, DecimalField, Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from mutiroes.accounts.models import User
from mutiroes.core.exceptions import NotFound
from mutiroes.events.models import Comment, Event, EventPhoto, Participation, Pledge, Resource

QUANTITY = DecimalField(max_digits=12, decimal_places=2)
NOTHING = Value(Decimal("0.00"))


def _counting_pledges() -> QuerySet[Pledge]:
    """Pledges that count: their author still holds a place at the event (leaving takes the pledge back)."""
    holds_spot = Participation.objects.filter(
        event_id=OuterRef("resource__event_id"), user_id=OuterRef("user_id"), status__in=Participation.HOLDS_SPOT
    )
    return Pledge.objects.filter(Exists(holds_spot))


def resource_list(*, event: Event, user: User | None = None) -> QuerySet[Resource]:
    """Resources with `quantity_pledged` (and the caller's `my_pledge`) computed in SQL, one query per page."""
    pledged = (
        _counting_pledges()
        .filter(resource=OuterRef("pk"))
        .order_by()
        .values("resource")
        .annotate(total=Sum("quantity"))
        .values("total")
    )
    queryset = Resource.objects.filter(event=event).annotate(
        quantity_pledged=Coalesce(Subquery(pledged, output_field=QUANTITY), NOTHING, output_field=QUANTITY)
    )
    if user is not None:
        mine = Pledge.objects.filter(resource=OuterRef("pk"), user=user).values("quantity")[:1]
        queryset = queryset.annotate(my_pledge=Subquery(mine, output_field=QUANTITY))
    return queryset.order_by("id")


def resource_get(*, event: Event, resource_id: int, user: User | None = None) -> Resource:
    resource = resource_list(event=event, user=user).filter(pk=resource_id).first()
    if resource is None:
        raise NotFound("resource", resource_id=resource_id)
    return resource


def photo_list(*, event: Event) -> QuerySet[EventPhoto]:
    return EventPhoto.objects.filter(event=event).select_related("uploaded_by").order_by("-created_at", "-id")


def comment_thread_list(*, event: Event) -> QuerySet[Comment]:
    """Top-level comments, newest first, each with its live replies (oldest first) prefetched.

    A removed comment stays (as a marker) only while it has live replies, so that threads keep their shape.
    """
    live_replies = Comment.objects.filter(deleted_at__isnull=True).select_related("author").order_by("created_at", "id")
    has_live_reply = Exists(Comment.objects.filter(parent=OuterRef("pk"), deleted_at__isnull=True))
    return (
        Comment.objects.filter(event=event, parent__isnull=True)
        .filter(Q(deleted_at__isnull=True) | has_live_reply)
        .select_related("author")
        .prefetch_related(Prefetch("replies", queryset=live_replies))
        .order_by("-created_at", "-id")
    )


def community_stats(*, event: Event) -> dict[str, int]:
    resources = resource_list(event=event).aggregate(
        total=Count("id"), covered=Count("id", filter=Q(quantity_pledged__gte=F("quantity_needed")))
    )
    return {
        "photos": EventPhoto.objects.filter(event=event).count(),
        "resources_total": resources["total"],
        "resources_covered": resources["covered"],
    }
