"""GET /impact/methodology: the factors the impact computation uses, with their citations, for anyone."""

from decimal import Decimal

import pytest

from mutiroes.impact.models import EventReport, ImpactFactorSet
from mutiroes.impact.services import factor_set_activate

pytestmark = pytest.mark.django_db
URL = "/api/v1/impact/methodology"
BODY = {"participants": 5, "trash_kg": "40", "recyclable_kg": "12.5", "trees_planted": 3}


def test_anyone_reads_the_active_factors_with_their_sources(api_client, active_factors):
    response = api_client.get(URL)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["version"] == "epa-2019" and body["method"] == active_factors.method
    factors = {factor["name"]: factor for factor in body["factors"]}
    recycling, tree = factors["recycling_kg_co2e_per_kg"], factors["tree_kg_co2_per_tree"]
    assert (recycling["applies_to"], recycling["unit"]) == ("recyclable_kg", "kg CO2e per kg recycled")
    assert Decimal(recycling["value"]) == Decimal("3.240795") and recycling["cited_value"] == "2.94"
    assert "Waste Reduction Model (WARM)" in recycling["reference"] and "907.18474" in recycling["conversion"]
    assert (tree["applies_to"], Decimal(tree["value"]), tree["cited_value"]) == (
        "trees_planted",
        Decimal("60"),
        "0.060",
    )
    assert "urban tree seedlings" in tree["reference"]


def test_the_listed_factors_are_the_ones_a_report_is_computed_with(api_client, held_event, active_factors):
    event = held_event()
    filed = api_client.post(f"/api/v1/events/{event.id}/report", BODY, user=event.organizer)
    assert filed.status_code == 201, filed.content

    methodology = api_client.get(URL).json()
    figures = {factor["applies_to"]: Decimal(factor["value"]) for factor in methodology["factors"]}
    expected = (
        Decimal(BODY["recyclable_kg"]) * figures["recyclable_kg"] + BODY["trees_planted"] * figures["trees_planted"]
    )
    report = EventReport.objects.get(event=event)
    assert report.co2e_kg == expected.quantize(Decimal("0.001"))
    assert report.factors_version == methodology["version"]


def test_a_newly_activated_version_is_the_one_shown(api_client, active_factors):
    ImpactFactorSet.objects.create(
        version="test-2027", recycling_kg_co2e_per_kg=Decimal("1.5"), tree_kg_co2_per_tree=Decimal("40"),
        sources={"tree_kg_co2_per_tree": {"cited_value": "0.040", "reference": "Inventário municipal", "extra": 1}},
        method="a test method",
    )  # fmt: skip
    factor_set_activate(version="test-2027")

    body = api_client.get(URL).json()

    assert (body["version"], body["method"]) == ("test-2027", "a test method")
    factors = {factor["name"]: factor for factor in body["factors"]}
    assert Decimal(factors["recycling_kg_co2e_per_kg"]["value"]) == Decimal("1.5")
    # A source typed without every key (or none at all) reads as empty text, never as an error.
    assert factors["recycling_kg_co2e_per_kg"]["reference"] == "" and "extra" not in factors["tree_kg_co2_per_tree"]
    assert (factors["tree_kg_co2_per_tree"]["reference"], factors["tree_kg_co2_per_tree"]["conversion"]) == (
        "Inventário municipal", "",
    )  # fmt: skip


def test_without_an_active_factor_set_it_is_404(api_client, active_factors):
    ImpactFactorSet.objects.update(is_active=False)

    response = api_client.get(URL)

    assert response.status_code == 404 and response.json()["code"] == "factor_set_not_found"
