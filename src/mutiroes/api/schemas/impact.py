from datetime import date, datetime
from decimal import Decimal

from ninja import Schema
from pydantic import Field, model_validator

from mutiroes.api.schemas.common import CrossFieldError, DateIn, DecimalIn, DecimalOut, Id, InSchema, Text
from mutiroes.api.schemas.enums import BrazilianState
from mutiroes.impact.models import MAX_AREA_M2, MAX_HOURS, MAX_KG, MAX_PARTICIPANTS, MAX_TREES

UF = BrazilianState
# Numbers or numeric strings; NaN/Infinity, negatives, too many decimals or digits are a 422.
Hours = DecimalIn(MAX_HOURS, 2)
Kilograms = DecimalIn(MAX_KG, 3)
SquareMetres = DecimalIn(MAX_AREA_M2, 2)


class ReportIn(InSchema):
    """What the organiser declares. Computed fields (co2e_kg, ...) are not accepted: extra fields are a 422."""

    participants: int = Field(ge=0, le=MAX_PARTICIPANTS, description="people who took part")
    hours: Hours = Field(Decimal("0"), description="volunteer-hours: the sum of everyone's hours")
    trash_kg: Kilograms = Field(Decimal("0"), description="all waste collected, recyclables included")
    recyclable_kg: Kilograms = Field(Decimal("0"), description="the part of trash_kg sent to recycling")
    trees_planted: int = Field(0, ge=0, le=MAX_TREES)
    area_m2: SquareMetres = Field(Decimal("0"), description="area cleaned or restored")
    summary: Text(5000) = ""
    challenges: Text(5000) = ""
    achievements: Text(5000) = ""


class ReportOut(Schema):
    event_id: int
    participants: int
    hours: DecimalOut
    trash_kg: DecimalOut
    recyclable_kg: DecimalOut
    trees_planted: int
    area_m2: DecimalOut
    summary: str
    challenges: str
    achievements: str
    co2e_kg: DecimalOut | None = Field(description="kg CO2e avoided or sequestered; null until computed")
    waste_diverted_kg: DecimalOut | None
    factors_version: str = Field(description="impact factor set the figures were computed with; '' until computed")
    computed_at: datetime | None
    checked_in_count: int = Field(description="participants who checked in on the platform")
    created_at: datetime
    updated_at: datetime


# Far enough either way for any real query, and near enough that a day boundary is still a valid datetime
# (9999-12-31 + 1 day overflows).
FilterDay = DateIn(date(1900, 1, 1), date(2200, 12, 31))


class ImpactFiltersIn(Schema):
    city: Text(100) | None = None
    state: UF | None = None
    category: Id | None = None
    from_: FilterDay | None = Field(
        None, alias="from", description="events starting on or after this day (Brasília time)"
    )
    to: FilterDay | None = Field(None, description="events starting on or before this day (Brasília time)")

    @model_validator(mode="after")
    def _ordered(self) -> "ImpactFiltersIn":
        if self.from_ is not None and self.to is not None and self.from_ > self.to:
            raise CrossFieldError("'from' must not be after 'to'", "from", "to")
        return self


class ImpactTotals(Schema):
    events: int
    volunteers: int
    hours: DecimalOut
    trash_kg: DecimalOut
    recyclable_kg: DecimalOut
    trees_planted: int
    area_m2: DecimalOut
    co2e_kg: DecimalOut


class CityImpact(ImpactTotals):
    city: str
    state: str


class CategoryImpact(ImpactTotals):
    category_id: int
    category: str


class PeriodIn(Schema):
    year: int = Field(ge=2000, le=2200)
    month: int = Field(ge=1, le=12)


class MonthlyReportOut(Schema):
    year: int
    month: int
    totals: ImpactTotals
    by_city: list[CityImpact]
    by_category: list[CategoryImpact]
    generated_at: datetime


class ImpactFactorOut(Schema):
    name: str = Field(description="the factor, named with its unit, e.g. recycling_kg_co2e_per_kg")
    applies_to: str = Field(description="the report figure it multiplies: recyclable_kg or trees_planted")
    value: DecimalOut = Field(description="the value the computation uses")
    unit: str
    cited_value: str = Field(description="the value as the source publishes it")
    cited_unit: str
    conversion: str = Field(description="how the cited value becomes the value used")
    reference: str = Field(description="the source's citation")


class ImpactMethodologyOut(Schema):
    version: str = Field(description="the factor set's version, as every report's factors_version names it")
    method: str = Field(description="how the figures are computed from a report and the factors")
    factors: list[ImpactFactorOut]
