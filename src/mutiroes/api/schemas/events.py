from datetime import datetime
from typing import Any, Literal

from ninja import Schema
from pydantic import ConfigDict, Field, field_validator, model_validator

from mutiroes.api.pagination import Page
from mutiroes.api.schemas.common import (
    Bool,
    CrossFieldError,
    DateTimeIn,
    Id,
    InSchema,
    Latitude,
    Longitude,
    Text,
    UriReference,
    UserRef,
)
from mutiroes.api.schemas.enums import (
    BrazilianState,
    EventStatus,
    ExperienceLevel,
    NewEventStatus,
    ParticipationDecision,
    ParticipationStatus,
)

UF = BrazilianState
# "latitude,longitude" in decimal degrees, each within its range (so the pattern says all the server checks).
_LATITUDE = r"-?(?:[1-8]?\d(?:\.\d{1,15})?|90(?:\.0{1,15})?)"
_LONGITUDE = r"-?(?:(?:1[0-7]\d|[1-9]?\d)(?:\.\d{1,15})?|180(?:\.0{1,15})?)"
NEAR_PATTERN = f"^{_LATITUDE},{_LONGITUDE}$"


class CategoryOut(Schema):
    id: int
    name: str
    slug: str
    description: str


class CategoryRef(Schema):
    id: int
    name: str


class EventIn(InSchema):
    title: Text(200, 3)
    description: Text(10000, 1)
    category_id: Id
    address: Text(300, 1)
    city: Text(100, 1)
    state: UF
    latitude: Latitude
    longitude: Longitude
    start_date: DateTimeIn
    end_date: DateTimeIn
    registration_deadline: DateTimeIn | None = None
    max_participants: int = Field(ge=1, le=100_000)
    min_age: int | None = Field(None, ge=0, le=130)
    max_age: int | None = Field(None, ge=0, le=130)
    requires_approval: Bool = False
    is_public: Bool = True
    tools_needed: Text(2000) = ""
    tools_provided: Text(2000) = ""
    what_to_bring: Text(2000) = ""
    status: NewEventStatus = NewEventStatus.draft


class EventPatch(InSchema):
    """Partial update: a field left out stays as it is. null clears only the optional deadline and age limits."""

    title: Text(200, 3) = None
    description: Text(10000, 1) = None
    category_id: Id = None
    address: Text(300, 1) = None
    city: Text(100, 1) = None
    state: UF = None
    latitude: Latitude = None
    longitude: Longitude = None
    start_date: DateTimeIn = None
    end_date: DateTimeIn = None
    registration_deadline: DateTimeIn | None = None
    max_participants: int = Field(None, ge=1, le=100_000)
    min_age: int | None = Field(None, ge=0, le=130)
    max_age: int | None = Field(None, ge=0, le=130)
    requires_approval: Bool = None
    is_public: Bool = None
    tools_needed: Text(2000) = None
    tools_provided: Text(2000) = None
    what_to_bring: Text(2000) = None


class ParticipationRef(Schema):
    id: int
    status: ParticipationStatus
    checked_in_at: datetime | None
    waitlist_position: int | None = Field(description="1 for the next to be promoted; null unless waitlisted")

    @staticmethod
    def resolve_waitlist_position(participation: Any) -> int | None:
        if participation.status != "waitlisted":
            return None
        return getattr(participation, "waitlist_ahead", 0) + 1


class EventOut(Schema):
    id: int
    title: str
    description: str
    category: CategoryRef
    organizer: UserRef
    address: str
    city: str
    state: UF
    latitude: float
    longitude: float
    start_date: datetime
    end_date: datetime
    registration_deadline: datetime | None
    max_participants: int
    min_age: int | None
    max_age: int | None
    requires_approval: bool
    is_public: bool
    status: EventStatus
    tools_needed: str
    tools_provided: str
    what_to_bring: str
    cover_image: UriReference | None
    participants_count: int
    spots_left: int
    distance_km: float | None = Field(None, description="with `near`: the distance from that point; else null")
    my_participation: ParticipationRef | None = Field(None, description="the caller's; null when none or anonymous")
    check_in_code: str | None = Field(None, description="for the organiser and staff only; null for everyone else")
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_cover_image(obj: Any) -> str | None:
        return obj.cover_image.url if obj.cover_image else None

    @staticmethod
    def resolve_spots_left(obj: Any) -> int:
        return max(obj.max_participants - obj.participants_count, 0)

    @staticmethod
    def resolve_check_in_code(obj: Any, context: dict[str, Any]) -> str | None:
        # Only the organiser (or staff) sees the code; everyone else gets null.
        user = getattr(context["request"], "auth", None)
        is_manager = getattr(user, "pk", None) == obj.organizer_id or getattr(user, "is_staff", False)
        return obj.check_in_code if is_manager else None


class EventFiltersIn(Schema):
    category: Id | None = None
    city: Text(100) | None = None
    state: UF | None = None
    status: EventStatus | None = None
    starts_after: DateTimeIn | None = None
    starts_before: DateTimeIn | None = None
    q: Text(200) | None = None
    near: str | None = Field(
        None, max_length=64, pattern=NEAR_PATTERN, description="latitude,longitude (decimal degrees)"
    )
    radius_km: float = Field(25.0, gt=0, le=20_000, allow_inf_nan=False)
    ordering: Literal["start_date", "-start_date", "distance"] | None = None

    @field_validator("near")
    @classmethod
    def _parse_near(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parse_near(value)
        return value


def parse_near(value: str) -> tuple[float, float]:
    try:
        lat_text, lng_text = value.split(",")
        lat, lng = float(lat_text), float(lng_text)
    except ValueError as exc:
        raise ValueError("must be 'latitude,longitude'") from exc
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise ValueError("latitude must be in [-90, 90] and longitude in [-180, 180]")
    return lat, lng


class EventStatsOut(Schema):
    participants_by_status: dict[str, int]
    checked_in: int
    spots_left: int
    photos: int
    resources_total: int
    resources_covered: int = Field(description="resources whose pledges reach the quantity needed")


class JoinIn(InSchema):
    emergency_contact: Text(120) = ""
    emergency_phone: Text(30) = ""
    special_needs: Text(1000) = ""
    experience_level: ExperienceLevel | Literal[""] = ""


class CheckInIn(InSchema):
    """Exactly one of the two: the participant's `code`, or the organiser's `user_id`."""

    model_config = ConfigDict(json_schema_extra={"oneOf": [{"required": ["code"]}, {"required": ["user_id"]}]})

    code: Text(16, 1) = Field(None, description="the event's check-in code (participant)")
    user_id: Id = Field(None, description="the participant to check in (organiser)")

    @model_validator(mode="after")
    def _one_of(self) -> "CheckInIn":
        if ("code" in self.model_fields_set) == ("user_id" in self.model_fields_set):
            raise CrossFieldError("send either code (participant) or user_id (organiser)", "code", "user_id")
        return self


class ParticipationStatusIn(InSchema):
    status: ParticipationDecision


class ParticipationOut(Schema):
    id: int
    event_id: int
    user: UserRef
    status: ParticipationStatus
    checked_in_at: datetime | None
    registered_at: datetime


class ParticipantOut(ParticipationOut):
    """What the organiser sees: contact and emergency data too."""

    email: str
    emergency_contact: str
    emergency_phone: str
    special_needs: str
    experience_level: ExperienceLevel | Literal[""]

    @staticmethod
    def resolve_email(obj: Any) -> str:
        return obj.user.email


class EventPage(Page[EventOut]):
    pass


class ParticipantPage(Page[ParticipantOut]):
    pass
