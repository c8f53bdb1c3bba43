from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import EmailStr, Field, field_validator, model_validator

from mutiroes.accounts.models import (
    REMINDER_LEAD_HOURS_MAX,
    REMINDER_LEAD_HOURS_MIN,
    UF_CHOICES,
    Criterion,
    NotificationKind,
)
from mutiroes.api.schemas.common import InSchema, Password, Text

UF = Literal[tuple(code for code, _ in UF_CHOICES)]  # type: ignore[valid-type]
Username = Annotated[Text(150, 1), Field(pattern=r"^[\w.@+-]+$")]
BirthDate = Annotated[date, Field(ge=date(1900, 1, 1))]


def _not_future(value: date | None) -> date | None:
    if value is not None and value > date.today():
        raise ValueError("must not be in the future")
    return value


class RegisterIn(InSchema):
    username: Username
    email: EmailStr = Field(max_length=254)
    password: Password
    first_name: Text(150) = ""
    last_name: Text(150) = ""
    birth_date: BirthDate | None = None

    _birth = field_validator("birth_date")(_not_future)


class TokenIn(InSchema):
    username: Text(254, 1)
    password: Password


class RefreshIn(InSchema):
    refresh: Text(2000, 1)


class PasswordChangeIn(InSchema):
    current_password: Password
    new_password: Password = Field(description="at least 8 characters, not too common, not all digits")


class PasswordResetIn(InSchema):
    email: Text(254, 3)


class PasswordResetConfirmIn(InSchema):
    uid: Text(64, 1) = Field(description="the `uid` of the e-mailed link")
    token: Text(128, 1) = Field(description="the `token` of the e-mailed link")
    new_password: Password = Field(description="at least 8 characters, not too common, not all digits")


class TokenPairOut(Schema):
    access: str
    refresh: str


class ProfilePatch(InSchema):
    first_name: Text(150) | None = None
    last_name: Text(150) | None = None
    birth_date: BirthDate | None = None
    phone: Text(30) | None = None
    city: Text(100) | None = None
    state: UF | Literal[""] | None = None
    bio: Text(2000) | None = None
    interests: list[Text(50, 1)] | None = Field(None, max_length=20)
    is_public: bool | None = None
    show_city: bool | None = None
    show_stats: bool | None = None

    _birth = field_validator("birth_date")(_not_future)

    @model_validator(mode="after")
    def _null_clears_only_birth_date(self) -> "ProfilePatch":
        # null means "clear"; only birth_date can be empty as null (the others are "" or a boolean).
        nulled = [name for name in self.model_fields_set - {"birth_date"} if getattr(self, name) is None]
        if nulled:
            raise ValueError(f"cannot be null: {', '.join(sorted(nulled))}")
        return self


class MeOut(Schema):
    id: int
    username: str
    email: str
    first_name: str
    last_name: str
    date_joined: str
    birth_date: date | None
    phone: str
    city: str
    state: str
    bio: str
    interests: list[str]
    is_public: bool
    show_city: bool
    show_stats: bool


class PublicProfileOut(Schema):
    id: int
    username: str
    first_name: str
    last_name: str
    city: str | None
    state: str | None
    bio: str
    interests: list[str]
    date_joined: str


class EmailTogglesIn(InSchema):
    registration: bool
    reminder: bool
    update: bool
    cancellation: bool
    badge_earned: bool
    waitlist_promoted: bool


class NotificationSettingsIn(InSchema):
    """PUT replaces the whole settings: every toggle and the lead time are required."""

    email: EmailTogglesIn
    reminder_lead_hours: int = Field(
        ge=REMINDER_LEAD_HOURS_MIN, le=REMINDER_LEAD_HOURS_MAX, description="hours before the start"
    )


class EmailTogglesOut(Schema):
    registration: bool
    reminder: bool
    update: bool
    cancellation: bool
    badge_earned: bool
    waitlist_promoted: bool


class NotificationSettingsOut(Schema):
    email: EmailTogglesOut
    reminder_lead_hours: int

    @staticmethod
    def resolve_email(obj: Any) -> dict[str, bool]:
        return {kind: getattr(obj, f"email_{kind}") for kind in NotificationKind.values}


class UserStatsOut(Schema):
    events_attended: int = Field(description="events checked in to (cancelled events excluded)")
    hours_volunteered: Decimal = Field(
        description="the hours the certificates state: per attended event its duration (at most 12 h a local day)"
        " or the organiser's adjustment; none for a revoked certificate"
    )
    events_organized: int = Field(description="own events that took place (published or completed, ended)")
    trees_planted: Decimal = Field(description="share of reported totals: total / heads per attended event")
    trash_kg: Decimal
    recyclable_kg: Decimal
    area_m2: Decimal
    co2e_kg: Decimal
    computed_at: datetime


class BadgeOut(Schema):
    slug: str
    name: str
    description: str
    criterion: str = Field(description="the UserStats figure measured: " + ", ".join(Criterion.values))
    criterion_label: str
    threshold: Decimal = Field(description="earned when the figure reaches this value")
    icon: str

    @staticmethod
    def resolve_criterion_label(obj: Any) -> str:
        return str(Criterion(obj.criterion).label)


class UserBadgeOut(Schema):
    badge: BadgeOut
    awarded_at: datetime


class PublicProfileWithStatsOut(PublicProfileOut):
    """The public profile; stats and badges only when the user chose to show them (show_stats)."""

    stats: UserStatsOut | None = None
    badges: list[UserBadgeOut] | None = None


class MyEventsFilters(Schema):
    role: Literal["organizer", "participant"] = Field(
        "participant",
        description="organizer: events I organise (drafts included); participant: events I am registered for, "
        "on the waiting list of, or attended",
    )


class AccountDeleteIn(InSchema):
    password: Password


class ExportOut(Schema):
    """LGPD: every record held about the caller. Field sets follow the stored records."""

    exported_at: datetime
    account: dict[str, Any]
    profile: dict[str, Any] | None
    notification_settings: dict[str, Any] | None
    participations: list[dict[str, Any]]
    organized_events: list[dict[str, Any]]
    comments: list[dict[str, Any]]
    photos: list[dict[str, Any]]
    pledges: list[dict[str, Any]]
    certificates: list[dict[str, Any]] = Field(description="certificates issued to the account, revoked ones too")
    badges: list[dict[str, Any]]
    stats: dict[str, Any] | None
    reports_filed: list[dict[str, Any]]
    emails: list[dict[str, Any]]
    other: dict[str, list[dict[str, Any]]] = Field(description="any other record pointing at the account")
