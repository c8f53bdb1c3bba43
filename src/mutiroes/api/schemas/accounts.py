from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import EmailStr, Field, StringConstraints, WithJsonSchema, create_model, field_validator

from mutiroes.accounts.models import REMINDER_LEAD_HOURS_MAX, REMINDER_LEAD_HOURS_MIN, Criterion, NotificationKind
from mutiroes.api.schemas.common import Bool, DateIn, DecimalOut, InSchema, Name, NewPassword, Password, Text
from mutiroes.api.schemas.enums import BadgeCriterion, BrazilianState

UF = BrazilianState
# A profile's state is a UF or "" (not given); the public profile hides it as null.
StateOrBlank = UF | Literal[""]
# Letters and digits of any script, and . @ + - _. Not a schema `pattern`: JSON Schema's regexes (ECMA-262) read \w
# as ASCII only, so the schema would refuse "joão" that the server takes (docs/api.md, what the schema cannot say).
USERNAME_PATTERN = r"^[\w.@+-]+$"
Username = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=150, pattern=USERNAME_PATTERN),
    WithJsonSchema(
        {"type": "string", "minLength": 1, "maxLength": 150, "description": "letters, digits (any script), . @ + - _"}
    ),
]
BirthDate = DateIn(date(1900, 1, 1))


def _not_future(value: date | None) -> date | None:
    if value is not None and value > date.today():
        raise ValueError("must not be in the future")
    return value


class RegisterIn(InSchema):
    username: Username
    email: EmailStr = Field(max_length=254)
    password: NewPassword
    first_name: Name(150) = ""
    last_name: Name(150) = ""
    birth_date: BirthDate | None = None

    _birth = field_validator("birth_date")(_not_future)


class TokenIn(InSchema):
    username: Text(254, 1)
    password: Password


class RefreshIn(InSchema):
    refresh: Text(2000, 1)


class PasswordChangeIn(InSchema):
    current_password: Password
    new_password: NewPassword


class EmailVerifyIn(InSchema):
    token: Text(500, 1) = Field(description="the `token` of the e-mailed link")


class PasswordResetIn(InSchema):
    email: Text(254, 3)


class PasswordResetConfirmIn(InSchema):
    uid: Text(64, 1) = Field(description="the `uid` of the e-mailed link")
    token: Text(128, 1) = Field(description="the `token` of the e-mailed link")
    new_password: NewPassword


class TokenPairOut(Schema):
    access: str
    refresh: str


class ProfilePatch(InSchema):
    """Partial update: a field left out stays as it is. Only birth_date can be cleared with null; "" clears text."""

    first_name: Name(150) = None
    last_name: Name(150) = None
    birth_date: BirthDate | None = None
    phone: Text(30) = None
    city: Text(100) = None
    state: StateOrBlank = None
    bio: Text(2000) = None
    interests: list[Text(50, 1)] = Field(None, max_length=20)
    is_public: Bool = None
    show_city: Bool = None
    show_stats: Bool = None

    _birth = field_validator("birth_date")(_not_future)


class MeOut(Schema):
    id: int
    username: str
    email: str
    first_name: str
    last_name: str
    date_joined: datetime
    birth_date: date | None
    phone: str
    city: str
    state: StateOrBlank
    bio: str
    interests: list[str]
    is_public: bool
    show_city: bool
    show_stats: bool
    email_verified: bool = Field(description="false until the e-mailed link is opened; needed to organise events")


class PublicProfileOut(Schema):
    id: int
    username: str
    first_name: str
    last_name: str
    city: str | None = Field(description="null when the person hides their city")
    state: StateOrBlank | None = Field(description="null when the person hides their city")
    bio: str
    interests: list[str]
    date_joined: datetime


# One toggle per kind a user may switch off, in and out: the kinds are listed once, in accounts.models.
EmailTogglesIn = create_model(
    "EmailTogglesIn", __base__=InSchema, **{kind: (Bool, ...) for kind in NotificationKind.values}
)


class NotificationSettingsIn(InSchema):
    """PUT replaces the whole settings: every toggle and the lead time are required."""

    email: EmailTogglesIn
    reminder_lead_hours: int = Field(
        ge=REMINDER_LEAD_HOURS_MIN, le=REMINDER_LEAD_HOURS_MAX, description="hours before the start"
    )


EmailTogglesOut = create_model(
    "EmailTogglesOut", __base__=Schema, **{kind: (bool, ...) for kind in NotificationKind.values}
)


class NotificationSettingsOut(Schema):
    email: EmailTogglesOut
    reminder_lead_hours: int

    @staticmethod
    def resolve_email(obj: Any) -> dict[str, bool]:
        return {kind: getattr(obj, f"email_{kind}") for kind in NotificationKind.values}


class UserStatsOut(Schema):
    events_attended: int = Field(description="events checked in to (cancelled events excluded)")
    hours_volunteered: DecimalOut = Field(
        description="the hours the certificates state: per attended event its duration (at most 12 h a local day)"
        " or the organiser's adjustment; none for a revoked certificate"
    )
    events_organized: int = Field(description="own events that took place (published or completed, ended)")
    trees_planted: int = Field(description="share of reported totals: total / heads per attended event, rounded")
    trash_kg: DecimalOut
    recyclable_kg: DecimalOut
    area_m2: DecimalOut
    co2e_kg: DecimalOut
    computed_at: datetime

    @staticmethod
    def resolve_trees_planted(obj: Any) -> int:
        # Trees are whole; a share of an event's trees is kept exact in the database, rounded when shown.
        value = obj["trees_planted"] if isinstance(obj, dict) else obj.trees_planted
        return int(Decimal(value).to_integral_value())


class BadgeOut(Schema):
    slug: str
    name: str
    description: str
    criterion: BadgeCriterion = Field(description="the figure of the user's stats measured")
    criterion_label: str
    threshold: DecimalOut = Field(description="earned when the figure reaches this value")
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
