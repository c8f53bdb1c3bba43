"""Computed impact: from the active factor set's values, versioned, idempotent, and cited."""

from decimal import ROUND_HALF_UP, Decimal

import pytest

from mutiroes.impact import selectors
from mutiroes.impact.models import EventReport, ImpactFactorSet
from mutiroes.impact.services import factor_set_activate, report_compute_impact, report_file

pytestmark = [pytest.mark.domain, pytest.mark.django_db]

MILLI = Decimal("0.001")
REPORT = {"participants": 5, "trash_kg": Decimal("47.5"), "recyclable_kg": Decimal("12.345"), "trees_planted": 3}


def _expected_co2e(factors: ImpactFactorSet, *, recyclable_kg: Decimal, trees: int) -> Decimal:
    total = recyclable_kg * factors.recycling_kg_co2e_per_kg + trees * factors.tree_kg_co2_per_tree
    return total.quantize(MILLI, rounding=ROUND_HALF_UP)


@pytest.fixture
def factors(active_factors) -> ImpactFactorSet:
    return active_factors


def test_the_data_migration_seeds_an_active_factor_set():
    assert selectors.factor_set_active() is not None


def test_the_seeded_factor_set_cites_every_factor_and_matches_its_citation(factors):
    for field in ("recycling_kg_co2e_per_kg", "tree_kg_co2_per_tree"):
        source = factors.sources[field]
        assert source["reference"] and source["cited_value"] and source["cited_unit"]
    # The stored per-kg values are the cited ones converted, not numbers typed in separately.
    recycling = factors.sources["recycling_kg_co2e_per_kg"]
    assert "short ton" in recycling["cited_unit"]
    per_short_ton_kg = Decimal("2000") * Decimal("0.45359237")
    assert factors.recycling_kg_co2e_per_kg == (Decimal(recycling["cited_value"]) * 1000 / per_short_ton_kg).quantize(
        Decimal("0.000001")
    )
    tree = factors.sources["tree_kg_co2_per_tree"]
    assert "metric ton" in tree["cited_unit"]
    assert factors.tree_kg_co2_per_tree == Decimal(tree["cited_value"]) * 1000


def test_filing_computes_the_impact_from_the_active_factors(held_event, factors):
    event = held_event()

    report_file(event_id=event.id, user=event.organizer, data=REPORT)

    row = EventReport.objects.get(event=event)
    assert row.co2e_kg == _expected_co2e(factors, recyclable_kg=REPORT["recyclable_kg"], trees=3)
    assert row.co2e_kg > 0
    assert row.waste_diverted_kg == REPORT["recyclable_kg"]
    assert row.factors_version == factors.version
    assert row.computed_at is not None


def test_non_recyclable_trash_earns_no_credit(held_event, factors):
    event = held_event()
    report_file(event_id=event.id, user=event.organizer, data={"participants": 2, "trash_kg": Decimal("500")})
    row = EventReport.objects.get(event=event)
    assert (row.co2e_kg, row.waste_diverted_kg) == (Decimal("0"), Decimal("0"))


def test_replacing_a_report_recomputes_it(held_event, factors):
    event = held_event()
    report_file(event_id=event.id, user=event.organizer, data=REPORT)
    report_file(event_id=event.id, user=event.organizer, data=REPORT | {"trees_planted": 10}, replace=True)
    row = EventReport.objects.get(event=event)
    assert row.co2e_kg == _expected_co2e(factors, recyclable_kg=REPORT["recyclable_kg"], trees=10)


def test_compute_is_idempotent(held_event, factors):
    event = held_event()
    report, _ = report_file(event_id=event.id, user=event.organizer, data=REPORT)
    before = EventReport.objects.get(pk=report.pk)

    report_compute_impact(report_id=report.pk)
    report_compute_impact(report_id=report.pk)

    after = EventReport.objects.get(pk=report.pk)
    assert (after.co2e_kg, after.waste_diverted_kg, after.factors_version, after.computed_at) == (
        before.co2e_kg,
        before.waste_diverted_kg,
        before.factors_version,
        before.computed_at,
    )
    assert after.updated_at == before.updated_at


def test_new_factor_version_recomputes_stale_reports(held_event, factors):
    event = held_event()
    report, _ = report_file(event_id=event.id, user=event.organizer, data=REPORT)
    newer = ImpactFactorSet.objects.create(
        version="test-next",
        recycling_kg_co2e_per_kg=factors.recycling_kg_co2e_per_kg * 2,
        tree_kg_co2_per_tree=factors.tree_kg_co2_per_tree / 2,
        sources={"note": "test data"},
    )

    factor_set_activate(version=newer.version)

    assert ImpactFactorSet.objects.filter(is_active=True).get() == newer
    assert EventReport.objects.get(pk=report.pk).factors_version != newer.version  # until the job recomputes it
    report_compute_impact(report_id=report.pk)
    row = EventReport.objects.get(pk=report.pk)
    assert row.factors_version == "test-next"
    assert row.co2e_kg == _expected_co2e(newer, recyclable_kg=REPORT["recyclable_kg"], trees=3)


def test_without_active_factors_the_report_waits_for_the_job(held_event, factors):
    ImpactFactorSet.objects.update(is_active=False)
    event = held_event()

    report, _ = report_file(event_id=event.id, user=event.organizer, data=REPORT)

    row = EventReport.objects.get(pk=report.pk)
    assert (row.co2e_kg, row.waste_diverted_kg, row.factors_version, row.computed_at) == (None, None, "", None)
    factor_set_activate(version=factors.version)
    report_compute_impact(report_id=report.pk)
    assert EventReport.objects.get(pk=report.pk).co2e_kg == _expected_co2e(
        factors, recyclable_kg=REPORT["recyclable_kg"], trees=3
    )


def test_compute_of_a_missing_report_is_a_no_op():
    assert report_compute_impact(report_id=987654321) is None
