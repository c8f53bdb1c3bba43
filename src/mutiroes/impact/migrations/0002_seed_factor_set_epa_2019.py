"""Seed the first impact factor set, "epa-2019", and make it active.

The data is frozen here on purpose: a later factor set is a new migration (or an admin entry), never an
edit of this one, so figures computed with "epa-2019" can always be traced back to these exact values.
Derived values are computed from the cited ones, not typed in.
"""

from decimal import Decimal

from django.db import migrations

VERSION = "epa-2019"
KG_PER_METRIC_TON = Decimal("1000")
# Exact by definition: 1 short ton = 2,000 lb and 1 lb = 0.45359237 kg (international pound, 1959).
KG_PER_SHORT_TON = Decimal("907.18474")

CITED_RECYCLING_T_CO2E_PER_SHORT_TON = Decimal("2.94")
CITED_TREE_T_CO2_PER_TREE = Decimal("0.060")

SOURCES = {
    "recycling_kg_co2e_per_kg": {
        "cited_value": str(CITED_RECYCLING_T_CO2E_PER_SHORT_TON),
        "cited_unit": "metric tons CO2e per short ton of waste recycled instead of landfilled",
        "conversion": "2.94 t CO2e × 1,000 kg/t ÷ 907.18474 kg per short ton, rounded to 6 decimal places",
        "reference": (
            "U.S. Environmental Protection Agency, Greenhouse Gas Equivalencies Calculator — Calculations and "
            "References, section 'Tons of waste recycled instead of landfilled': net emission reduction from "
            "recycling mixed recyclables (e.g. paper, metals, plastics) compared with landfilling them. "
            "Underlying model: U.S. EPA (2019), Waste Reduction Model (WARM), Version 15."
        ),
    },
    "tree_kg_co2_per_tree": {
        "cited_value": str(CITED_TREE_T_CO2_PER_TREE),
        "cited_unit": "metric ton CO2 per urban tree planted (one seedling grown for 10 years)",
        "conversion": "0.060 t CO2 × 1,000 kg/t",
        "reference": (
            "U.S. Environmental Protection Agency, Greenhouse Gas Equivalencies Calculator — Calculations and "
            "References, section 'Number of urban tree seedlings grown for 10 years': (0.11 × 23.2 lb C per "
            "medium-growth coniferous tree + 0.89 × 38.0 lb C per medium-growth deciduous tree) = 36.4 lb C per "
            "tree over 10 years; 36.4 lb C × 44/12 ÷ 2,204.6 lb/t = 0.060 t CO2 per urban tree planted. "
            "Underlying rates: U.S. Department of Energy, Energy Information Administration (1998), Method for "
            "Calculating Carbon Sequestration by Trees in Urban and Suburban Settings, Voluntary Reporting of "
            "Greenhouse Gases Program."
        ),
    },
}

METHOD = (
    "co2e_kg = recyclable_kg × recycling_kg_co2e_per_kg + trees_planted × tree_kg_co2_per_tree; "
    "waste_diverted_kg = recyclable_kg. Non-recyclable trash is collected but still landfilled, so it earns "
    "no CO2e credit. The tree term is the CO2 a seedling sequesters over its first 10 years, credited when "
    "it is planted. Both factors are U.S. averages published by the U.S. EPA; no Brazil-specific factor is "
    "used yet (a new factor set version would replace them)."
)


def seed(apps, schema_editor):
    ImpactFactorSet = apps.get_model("impact", "ImpactFactorSet")
    if ImpactFactorSet.objects.filter(version=VERSION).exists():
        return
    recycling = (CITED_RECYCLING_T_CO2E_PER_SHORT_TON * KG_PER_METRIC_TON / KG_PER_SHORT_TON).quantize(
        Decimal("0.000001")
    )
    tree = (CITED_TREE_T_CO2_PER_TREE * KG_PER_METRIC_TON).quantize(Decimal("0.001"))
    ImpactFactorSet.objects.filter(is_active=True).update(is_active=False)
    ImpactFactorSet.objects.create(
        version=VERSION,
        recycling_kg_co2e_per_kg=recycling,
        tree_kg_co2_per_tree=tree,
        sources=SOURCES,
        method=METHOD,
        is_active=True,
    )


def unseed(apps, schema_editor):
    apps.get_model("impact", "ImpactFactorSet").objects.filter(version=VERSION).delete()


class Migration(migrations.Migration):
    dependencies = [("impact", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
