import secrets

from django.conf import settings
from django.db import models, transaction
from django.db.models import F, Q
from django.db.models.signals import post_delete
from django.dispatch import receiver

from mutiroes.accounts.models import UF_CHOICES
from mutiroes.core.models import TimeStampedModel


class Category(models.Model):
    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


def new_check_in_code() -> str:
    # Short enough to type from a printed sheet, random enough not to be guessed during one event.
    return secrets.token_hex(4).upper()


class Event(TimeStampedModel):
    class Status(models.TextChoices):
        DRAFT = "draft"
        PUBLISHED = "published"
        COMPLETED = "completed"
        CANCELLED = "cancelled"

    title = models.CharField(max_length=200)
    description = models.TextField(max_length=10000)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="events")
    organizer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="organized_events")
    address = models.CharField(max_length=300)
    city = models.CharField(max_length=100)
    state = models.CharField(max_length=2, choices=UF_CHOICES)
    latitude = models.FloatField()
    longitude = models.FloatField()
    start_date = models.DateTimeField()
    end_date = models.DateTimeField()
    registration_deadline = models.DateTimeField(null=True, blank=True)
    max_participants = models.PositiveIntegerField()
    # Places held (confirmed + pending), kept by events.services under the event's row lock, in the same
    # transaction as the participation change: lists read it instead of counting every event's participations.
    participants_count = models.PositiveIntegerField(default=0)
    min_age = models.PositiveSmallIntegerField(null=True, blank=True)
    max_age = models.PositiveSmallIntegerField(null=True, blank=True)
    requires_approval = models.BooleanField(default=False)
    is_public = models.BooleanField(default=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    tools_needed = models.TextField(max_length=2000, blank=True)
    tools_provided = models.TextField(max_length=2000, blank=True)
    what_to_bring = models.TextField(max_length=2000, blank=True)
    cover_image = models.ImageField(upload_to="covers/%Y/%m/", null=True, blank=True)
    check_in_code = models.CharField(max_length=16, default=new_check_in_code)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["start_date", "id"]
        indexes = [
            models.Index(fields=["status", "is_public", "start_date"]),
            # A signed-in visitor's list also shows private events they organise or joined, so it cannot fix
            # is_public: it walks published events in date order and stops after a page.
            models.Index(fields=["status", "start_date", "id"], name="event_status_start_idx"),
            models.Index(fields=["latitude", "longitude"]),
            models.Index(fields=["city", "state"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gt=F("start_date")), name="event_end_after_start"),
            models.CheckConstraint(
                condition=Q(registration_deadline__isnull=True) | Q(registration_deadline__lte=F("start_date")),
                name="event_deadline_before_start",
            ),
            models.CheckConstraint(condition=Q(max_participants__gte=1), name="event_capacity_positive"),
            models.CheckConstraint(
                condition=Q(min_age__isnull=True) | Q(max_age__isnull=True) | Q(min_age__lte=F("max_age")),
                name="event_age_range",
            ),
            models.CheckConstraint(condition=Q(latitude__gte=-90, latitude__lte=90), name="event_latitude_range"),
            models.CheckConstraint(condition=Q(longitude__gte=-180, longitude__lte=180), name="event_longitude_range"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.start_date:%Y-%m-%d})"


class Participation(models.Model):
    class Status(models.TextChoices):
        CONFIRMED = "confirmed"
        PENDING = "pending"
        WAITLISTED = "waitlisted"
        CANCELLED = "cancelled"
        REJECTED = "rejected"

    class Experience(models.TextChoices):
        BEGINNER = "beginner"
        INTERMEDIATE = "intermediate"
        EXPERIENCED = "experienced"

    # Statuses that hold one of the event's places.
    HOLDS_SPOT = (Status.CONFIRMED, Status.PENDING)
    ACTIVE = (Status.CONFIRMED, Status.PENDING, Status.WAITLISTED)

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="participations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="participations")
    status = models.CharField(max_length=10, choices=Status.choices)
    emergency_contact = models.CharField(max_length=120, blank=True)
    emergency_phone = models.CharField(max_length=30, blank=True)
    special_needs = models.TextField(max_length=1000, blank=True)
    experience_level = models.CharField(max_length=12, choices=Experience.choices, blank=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    # Reset on re-join: the waiting list is served in this order.
    registered_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["registered_at", "id"]
        constraints = [models.UniqueConstraint(fields=["event", "user"], name="participation_event_user_unique")]
        indexes = [models.Index(fields=["event", "status", "registered_at"])]

    def __str__(self) -> str:
        return f"{self.user} @ {self.event_id}: {self.status}"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE


# Community: what an event needs and who brings it, photos, comments.


class Resource(TimeStampedModel):
    class Type(models.TextChoices):
        TOOL = "tool"
        MATERIAL = "material"
        EQUIPMENT = "equipment"
        OTHER = "other"

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="resources")
    name = models.CharField(max_length=120)
    description = models.TextField(max_length=1000, blank=True)
    resource_type = models.CharField(max_length=10, choices=Type.choices, default=Type.OTHER)
    quantity_needed = models.DecimalField(max_digits=10, decimal_places=2)
    unit = models.CharField(max_length=30, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity_needed__gt=0), name="resource_quantity_needed_positive")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.quantity_needed} {self.unit}) for event {self.event_id}"


class Pledge(TimeStampedModel):
    """A participant's promise to bring some of a resource; withdrawing deletes the row (never quantity 0)."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="pledges")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="pledges")
    quantity = models.DecimalField(max_digits=10, decimal_places=2)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["resource", "user"], name="pledge_resource_user_unique"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="pledge_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.user} brings {self.quantity} of resource {self.resource_id}"


def photo_upload_to(photo: "EventPhoto", filename: str) -> str:
    return f"events/{photo.event_id}/photos/{filename}"


class EventPhoto(models.Model):
    # Files are written re-encoded (no EXIF/GPS) by the photo service; the row only points at them.
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="photos")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="event_photos")
    image = models.ImageField(upload_to=photo_upload_to, max_length=255)
    thumbnail = models.ImageField(upload_to=photo_upload_to, max_length=255)
    caption = models.CharField(max_length=500, blank=True)
    is_before = models.BooleanField(default=False)
    is_after = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["event", "-created_at"])]
        constraints = [
            models.CheckConstraint(condition=~Q(is_before=True, is_after=True), name="photo_not_before_and_after")
        ]

    def __str__(self) -> str:
        return f"photo {self.pk} of event {self.event_id}"


@receiver(post_delete, sender=EventPhoto)
def _delete_photo_files(sender: type[EventPhoto], instance: EventPhoto, **kwargs: object) -> None:
    # Also runs for cascades (event or account deleted) and admin deletes; files go only once the row is gone
    # for good, so a rolled-back delete never leaves a row pointing at nothing.
    names = [f.name for f in (instance.image, instance.thumbnail) if f]
    storage = instance.image.storage
    transaction.on_commit(lambda: [storage.delete(name) for name in names])


class Comment(TimeStampedModel):
    """One level of threading: a reply's parent is always a top-level comment (the service checks it)."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="comments")
    # SET_NULL keeps the thread when an account is deleted; the comment then shows no author.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="event_comments"
    )
    parent = models.ForeignKey("self", on_delete=models.CASCADE, null=True, blank=True, related_name="replies")
    content = models.TextField(max_length=2000)
    # Soft delete: the text is erased, the row stays so that replies keep their place.
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["event", "parent", "created_at"])]

    def __str__(self) -> str:
        return f"comment {self.pk} on event {self.event_id}"

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None
