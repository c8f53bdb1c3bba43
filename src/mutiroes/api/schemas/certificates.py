from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from ninja import Schema
from pydantic import Field

from mutiroes.api.pagination import Page
from mutiroes.api.schemas.common import DecimalIn, DecimalOut, InSchema, Text, UserRef
from mutiroes.api.schemas.enums import CertificateState

HoursIn = DecimalIn(Decimal("10000"), 2)
CertificateStatus = CertificateState


class HoursAdjustIn(InSchema):
    hours: HoursIn = Field(description="the participant's hours for this event, at most 12 per day it touches")
    reason: Text(500, 3) = Field(description="why: kept with the adjustment, shown to the organisers")


class RevokeIn(InSchema):
    reason: Text(500, 3) = Field(description="why the certificate is revoked (not shown on the public page)")


class HoursAdjustmentOut(Schema):
    adjusted_at: datetime
    adjusted_by: UserRef | None = Field(description="null once that account was deleted")
    hours_from: DecimalOut
    hours_to: DecimalOut
    reason: str


class CertificateStateOut(Schema):
    code: str = Field(description="grouped for reading: XXXX-XXXX-...")
    status: CertificateStatus
    issued_at: datetime
    revoked_at: datetime | None
    revocation: Literal["organizer", "replaced", "account_deleted", "event_cancelled"] | None = Field(
        description="organizer: revoked by the organiser or staff; replaced: the hours changed and the next "
        "download issues a new certificate"
    )


class ParticipantHoursOut(Schema):
    participation_id: int
    user: UserRef
    full_name: str
    checked_in_at: datetime | None
    hours: DecimalOut = Field(description="in force: 0 without a check-in or after revocation")
    adjustments: list[HoursAdjustmentOut] = Field(description="oldest first")
    certificate: CertificateStateOut | None = Field(description="the latest certificate issued, if any")

    @staticmethod
    def resolve_participation_id(obj: Any) -> int:
        return obj.pk

    @staticmethod
    def resolve_full_name(obj: Any) -> str:
        return obj.user.get_full_name()


class MyCertificateOut(Schema):
    event_id: int
    event_title: str
    event_start: datetime
    event_end: datetime
    city: str
    state: str
    hours: DecimalOut
    downloadable: bool = Field(description="false once revoked by the organiser, or before the event ends")
    certificate: CertificateStateOut | None


class CertificateFilters(Schema):
    event_id: int | None = Field(None, ge=1, description="only this event")
    year: int | None = Field(None, ge=1970, le=2200, description="events that started in this year (São Paulo)")


class CertificateVerificationOut(Schema):
    """The public facts of a certificate; for a revoked one only its code, status and revocation date."""

    code: str
    status: CertificateStatus
    status_label: Literal["válido", "revogado"]
    verification_url: str
    revoked_at: datetime | None
    holder_name: str | None
    event_title: str | None
    event_start: datetime | None
    event_end: datetime | None
    city: str | None
    state: str | None
    organizer_name: str | None
    hours: DecimalOut | None
    issued_at: datetime | None


class MyCertificatePage(Page[MyCertificateOut]):
    pass


class ParticipantHoursPage(Page[ParticipantHoursOut]):
    pass
