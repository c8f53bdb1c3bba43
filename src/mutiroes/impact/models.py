"""Impact: one report per event, the versioned factors that turn it into CO2e, and monthly totals.

Units are in the field names; every quantity is a ``Decimal``. Bounds are enforced by the API schemas and,
as the last word, by CHECK constraints here, so no other path (admin, shell, a job) can store nonsense.
"""

from decimal import Decimal

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import F, Q

from mutiroes.core.models import TimeStampedModel
from mutiroes.events.models import Event

# Upper bounds of one event's report: generous for a large mutirão, small enough to catch a typo
# of a few extra zeros and to keep sums of 10^5+ reports inside the aggregate columns.
MAX_PARTICIPANTS = 100_000
MAX_HOURS = Decimal("1000000")  # volunteer-hours: people × hours each
MAX_KG = Decimal("1000000")  # 1,000 t per event
MAX_TREES = 1_000_000
MAX_AREA_M2 = Decimal("100000000")  # 100 km²


# Every factor of a set, by field name: the report figure it multiplies and the unit its value is in.
FACTORS = {
    "recycling_kg_co2e_per_kg": ("recyclable_kg", "kg CO2e per kg recycled"),
    "tree_kg_co2_per_tree": ("trees_planted", "kg CO2 per tree planted"),
}


class ImpactFactorSet(models.Model):
    """One published version of the conversion factors, with the citation of every factor in ``sources``.

    A version is never edited once reports use it: new evidence is a new version, activated with
    ``services.factor_set_activate``; reports are then recomputed by ``report_compute_impact``.
    """

    version = models.CharField(max_length=40, unique=True)
    # kg CO2e avoided per kg of mixed recyclables recycled instead of landfilled.
    recycling_kg_co2e_per_kg = models.DecimalField(max_digits=10, decimal_places=6)
    # kg CO2 sequestered per urban tree seedling planted, over its first 10 years.
    tree_kg_co2_per_tree = models.DecimalField(max_digits=10, decimal_places=3)
    # {factor field: {"cited_value", "cited_unit", "conversion", "reference"}}
    sources = models.JSONField()
    method = models.TextField(blank=True)
    is_active = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # At most one active version: the one new reports are computed with.
            models.UniqueConstraint(
                fields=["is_active"], condition=Q(is_active=True), name="impactfactorset_one_active"
            ),
            models.CheckConstraint(
                condition=Q(recycling_kg_co2e_per_kg__gte=0), name="impactfactorset_recycling_nonneg"
            ),
            models.CheckConstraint(condition=Q(tree_kg_co2_per_tree__gte=0), name="impactfactorset_tree_nonneg"),
        ]

    def __str__(self) -> str:
        return f"factors {self.version}{' (active)' if self.is_active else ''}"


class EventReport(TimeStampedModel):
    """What happened at an event, as declared by its organiser, plus the impact computed from it."""

    event = models.OneToOneField(Event, on_delete=models.CASCADE, related_name="report")
    participants = models.PositiveIntegerField()
    hours = models.DecimalField("volunteer-hours", max_digits=9, decimal_places=2)
    trash_kg = models.DecimalField(max_digits=10, decimal_places=3)
    recyclable_kg = models.DecimalField(max_digits=10, decimal_places=3)
    trees_planted = models.PositiveIntegerField(default=0)
    area_m2 = models.DecimalField(max_digits=11, decimal_places=2)
    summary = models.TextField(max_length=5000, blank=True)
    challenges = models.TextField(max_length=5000, blank=True)
    achievements = models.TextField(max_length=5000, blank=True)
    # SET_NULL: an account deleted under the LGPD leaves its reports behind, anonymised.
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="filed_reports"
    )
    # Computed by services.report_compute_impact; null until computed.
    co2e_kg = models.DecimalField(max_digits=14, decimal_places=3, null=True, blank=True)
    waste_diverted_kg = models.DecimalField(max_digits=10, decimal_places=3, null=True, blank=True)
    factors_version = models.CharField(max_length=40, blank=True)
    computed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(participants__lte=MAX_PARTICIPANTS), name="eventreport_participants_range"
            ),
            models.CheckConstraint(condition=Q(hours__gte=0, hours__lte=MAX_HOURS), name="eventreport_hours_range"),
            models.CheckConstraint(condition=Q(trash_kg__gte=0, trash_kg__lte=MAX_KG), name="eventreport_trash_range"),
            models.CheckConstraint(
                condition=Q(recyclable_kg__gte=0, recyclable_kg__lte=F("trash_kg")),
                name="eventreport_recyclable_within_trash",
            ),
            models.CheckConstraint(condition=Q(trees_planted__lte=MAX_TREES), name="eventreport_trees_range"),
            models.CheckConstraint(
                condition=Q(area_m2__gte=0, area_m2__lte=MAX_AREA_M2), name="eventreport_area_range"
            ),
            models.CheckConstraint(
                condition=Q(co2e_kg__isnull=True) | Q(co2e_kg__gte=0), name="eventreport_co2e_nonneg"
            ),
            models.CheckConstraint(
                condition=Q(waste_diverted_kg__isnull=True) | Q(waste_diverted_kg__gte=0),
                name="eventreport_diverted_nonneg",
            ),
        ]

    def __str__(self) -> str:
        return f"report of event {self.event_id}"


class MonthlyImpactReport(models.Model):
    """Totals of one calendar month (America/Sao_Paulo), by city and by category; regenerating replaces it."""

    year = models.PositiveSmallIntegerField()
    month = models.PositiveSmallIntegerField()
    # Decimal values are kept as strings (DjangoJSONEncoder) so no precision is lost in JSON.
    totals = models.JSONField(encoder=DjangoJSONEncoder)
    by_city = models.JSONField(encoder=DjangoJSONEncoder)
    by_category = models.JSONField(encoder=DjangoJSONEncoder)
    generated_at = models.DateTimeField()

    class Meta:
        ordering = ["-year", "-month"]
        constraints = [
            models.UniqueConstraint(fields=["year", "month"], name="monthlyimpactreport_period_unique"),
            models.CheckConstraint(condition=Q(month__gte=1, month__lte=12), name="monthlyimpactreport_month_range"),
            models.CheckConstraint(condition=Q(year__gte=2000, year__lte=2200), name="monthlyimpactreport_year_range"),
        ]

    def __str__(self) -> str:
        return f"impact {self.year}-{self.month:02d}"

    @property
    def period(self) -> str:
        return f"{self.year}-{self.month:02d}"
