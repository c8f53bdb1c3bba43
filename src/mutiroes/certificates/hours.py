"""A participant's hours for an event, from the check-in ledger.

Checked in: the event's duration, counted per day where it happens (TIME_ZONE, São Paulo) and capped at
MAX_HOURS_PER_DAY each day, so a weekend event from Saturday 08:00 to Sunday 18:00 is 12 + 12 hours, not 34.
No check-in: no hours. The organiser's latest adjustment, if any, replaces the computed figure.
"""

from datetime import UTC, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

from mutiroes.certificates.models import MAX_HOURS_PER_DAY

CENT = Decimal("0.01")
_DAY_CAP = timedelta(hours=MAX_HOURS_PER_DAY)


def _days(start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """The event cut at each local midnight, as UTC instants (subtracting local times would ignore offsets)."""
    tz = timezone.get_default_timezone()
    pieces, cursor = [], start.astimezone(UTC)
    end = end.astimezone(UTC)
    while cursor < end:
        local = cursor.astimezone(tz)
        midnight = datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
        piece_end = min(midnight, end)
        pieces.append((cursor, piece_end))
        cursor = piece_end
    return pieces


def _as_hours(span: timedelta) -> Decimal:
    return (Decimal(span.total_seconds()) / 3600).quantize(CENT, rounding=ROUND_HALF_UP)


def duration_hours(*, start: datetime, end: datetime) -> Decimal:
    """The hours an event gives a checked-in participant: its duration, at most 12 hours per local day."""
    return _as_hours(sum((min(b - a, _DAY_CAP) for a, b in _days(start, end)), timedelta()))


def hours_ceiling(*, start: datetime, end: datetime) -> Decimal:
    """The most an adjustment may set: 12 hours for each local day the event touches."""
    return Decimal(MAX_HOURS_PER_DAY * len(_days(start, end))).quantize(CENT)
