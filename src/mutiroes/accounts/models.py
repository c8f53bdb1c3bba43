from datetime import date
from typing import Any

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower

from mutiroes.accounts.usernames import username_skeleton
from mutiroes.core.models import TimeStampedModel

UF_CHOICES = [
    (uf, uf)
    for uf in (
        [
            "AC",
            "AL",
            "AP",
            "AM",
            "BA",
            "CE",
            "DF",
            "ES",
            "GO",
            "MA",
            "MT",
            "MS",
            "MG",
            "PA",
            "PB",
            "PR",
            "PE",
            "PI",
            "RJ",
            "RN",
            "RS",
            "RO",
            "RR",
            "SC",
            "SP",
            "SE",
            "TO",
        ]
    )
]


# The inactive account that keeps the events of organisers who erased their accounts (privacy/lgpd.py).
PLACEHOLDER_USERNAME = "usuario-removido"


class User(AbstractUser):
    email = models.EmailField("e-mail", max_length=254)
    # Tokens carry the version they were issued under ("ver"); a password change or reset bumps it, which
    # signs the account out everywhere at once (refresh and access tokens alike).
    token_version = models.PositiveIntegerField(default=0)
    # What the username looks like (accounts/usernames.py): unique, so no look-alike of a taken name gets in.
    # NULL for the rare older names that already looked like an earlier one.
    # Set when the person opened the link e-mailed at registration (accounts/verification.py).
    email_verified_at = models.DateTimeField(null=True, blank=True)
    username_skeleton = models.TextField(null=True, blank=True, editable=False)  # noqa: DJ001 - NULLs are distinct

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        constraints = [
            # Case-insensitive uniqueness lives in the database so concurrent registrations cannot both win.
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
            # Logins match usernames case-insensitively too, so "Maria" and "maria" are one account.
            models.UniqueConstraint(Lower("username"), name="user_username_ci_unique"),
            models.UniqueConstraint(fields=["username_skeleton"], name="user_username_skeleton_unique"),
        ]

    @classmethod
    def from_db(cls, db: str | None, field_names: Any, values: Any) -> "User":
        user = super().from_db(db, field_names, values)
        user._loaded_username = user.__dict__.get("username")
        return user

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Every path that names an account (registration, the admin, the placeholder) keeps the skeleton current;
        # an unchanged name keeps its stored one (NULL included).
        if self._state.adding or self.username != getattr(self, "_loaded_username", None):
            self.username_skeleton = username_skeleton(self.username) if self.username else None
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "username_skeleton"}
        super().save(*args, **kwargs)
        self._loaded_username = self.username


class Profile(TimeStampedModel):
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="profile")
    birth_date = models.DateField(null=True, blank=True)
    phone = models.CharField(max_length=30, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=2, choices=UF_CHOICES, blank=True)
    bio = models.TextField(max_length=2000, blank=True)
    interests = models.JSONField(default=list, blank=True)
    is_public = models.BooleanField("public profile", default=True)
    show_city = models.BooleanField(default=True)
    show_stats = models.BooleanField(default=True)

    def __str__(self) -> str:
        return f"profile of {self.user}"

    def age_on(self, day: date) -> int | None:
        if self.birth_date is None:
            return None
        born = self.birth_date
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


class EmailKind(models.TextChoices):
    """Every kind of e-mail the platform sends, listed once: notifications' EmailDelivery.Kind is this list, and
    every app asks for an e-mail by one of these (jobs.outbox.email_enqueue). Each has its templates in
    notifications/templates/notifications/email/ and its subject in notifications/services.py."""

    REGISTRATION = "registration"
    REMINDER = "reminder"
    UPDATE = "update"
    CANCELLATION = "cancellation"
    WAITLIST_PROMOTED = "waitlist_promoted"
    BADGE_EARNED = "badge_earned"
    MONTHLY_REPORT = "monthly_report"
    PASSWORD_RESET = "password_reset"
    EMAIL_VERIFICATION = "email_verification"


# The kinds a user can switch off, each with its toggle ``email_<kind>`` in NotificationSettings; account e-mails
# and the staff's monthly report cannot be.
_SWITCHABLE = (EmailKind.REGISTRATION, EmailKind.REMINDER, EmailKind.UPDATE, EmailKind.CANCELLATION,
               EmailKind.BADGE_EARNED, EmailKind.WAITLIST_PROMOTED)  # fmt: skip
NotificationKind = models.TextChoices("NotificationKind", [(kind.name, kind.value) for kind in _SWITCHABLE])


REMINDER_LEAD_HOURS_MIN = 1
REMINDER_LEAD_HOURS_MAX = 168
REMINDER_LEAD_HOURS_DEFAULT = 24


class NotificationSettings(TimeStampedModel):
    """Per-user e-mail preferences: one toggle per kind (``email_<kind>``) and the reminder lead time."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="notification_settings")
    email_registration = models.BooleanField(default=True)
    email_reminder = models.BooleanField(default=True)
    email_update = models.BooleanField(default=True)
    email_cancellation = models.BooleanField(default=True)
    email_badge_earned = models.BooleanField(default=True)
    email_waitlist_promoted = models.BooleanField(default=True)
    reminder_lead_hours = models.PositiveSmallIntegerField(default=REMINDER_LEAD_HOURS_DEFAULT)

    class Meta:
        verbose_name_plural = "notification settings"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    reminder_lead_hours__gte=REMINDER_LEAD_HOURS_MIN, reminder_lead_hours__lte=REMINDER_LEAD_HOURS_MAX
                ),
                name="notification_reminder_lead_range",
            )
        ]

    def __str__(self) -> str:
        return f"notification settings of {self.user}"

    def allows(self, kind: str) -> bool:
        return bool(getattr(self, f"email_{kind}", True))


# Quantities a badge criterion can be measured in; each is a column of UserStats with the same name.
class Criterion(models.TextChoices):
    EVENTS_ATTENDED = "events_attended", "eventos com presença"
    HOURS_VOLUNTEERED = "hours_volunteered", "horas de voluntariado"
    EVENTS_ORGANIZED = "events_organized", "eventos organizados"
    TREES_PLANTED = "trees_planted", "árvores plantadas"
    TRASH_KG = "trash_kg", "kg de resíduos coletados"
    RECYCLABLE_KG = "recyclable_kg", "kg de recicláveis"
    AREA_M2 = "area_m2", "m² recuperados"
    CO2E_KG = "co2e_kg", "kg de CO2e evitados"


def _quantity() -> models.DecimalField:
    return models.DecimalField(max_digits=14, decimal_places=2, default=0)


class UserStats(models.Model):
    """A user's totals, recomputed from participations, organised events and reports (see certificates/stats.py)."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, primary_key=True, related_name="stats")
    events_attended = models.PositiveIntegerField(default=0)
    hours_volunteered = _quantity()
    events_organized = models.PositiveIntegerField(default=0)
    trees_planted = _quantity()
    trash_kg = _quantity()
    recyclable_kg = _quantity()
    area_m2 = _quantity()
    co2e_kg = _quantity()
    computed_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "user stats"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    hours_volunteered__gte=0,
                    trees_planted__gte=0,
                    trash_kg__gte=0,
                    recyclable_kg__gte=0,
                    area_m2__gte=0,
                    co2e_kg__gte=0,
                ),
                name="user_stats_non_negative",
            )
        ]

    def __str__(self) -> str:
        return f"stats of user {self.user_id}"


class Badge(models.Model):
    """Catalogue entry: earned once the user's ``criterion`` total reaches ``threshold``."""

    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=80, unique=True)
    description = models.CharField(max_length=300)
    criterion = models.CharField(max_length=20, choices=Criterion.choices)
    threshold = models.DecimalField(max_digits=14, decimal_places=2)
    icon = models.CharField(max_length=40, help_text="icon name for the frontend (e.g. 'sprout')")
    # Retire a badge instead of deleting it: awarded badges keep pointing at their catalogue entry.
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["criterion", "threshold", "id"]
        constraints = [models.CheckConstraint(condition=models.Q(threshold__gt=0), name="badge_threshold_positive")]

    def __str__(self) -> str:
        return self.name


class UserBadge(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="badges")
    badge = models.ForeignKey(Badge, on_delete=models.PROTECT, related_name="awards")
    awarded_at = models.DateTimeField()

    class Meta:
        ordering = ["awarded_at", "id"]
        # The key that makes awarding idempotent: concurrent or repeated runs insert a badge once.
        constraints = [models.UniqueConstraint(fields=["user", "badge"], name="user_badge_unique")]

    def __str__(self) -> str:
        return f"{self.badge_id} awarded to user {self.user_id}"
