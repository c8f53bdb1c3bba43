import secrets

from django.conf import settings
from django.db import models
from django.db.models import F, Q

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
