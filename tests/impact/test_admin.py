"""The impact models in the Django admin: pages render, versions are immutable, actions call the services."""

from decimal import Decimal

import pytest
from django.test import Client

from mutiroes.impact import selectors
from mutiroes.impact.models import EventReport, ImpactFactorSet, MonthlyImpactReport
from mutiroes.impact.services import monthly_report_generate, report_file

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(user_factory) -> Client:
    client = Client()
    client.force_login(user_factory(is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def report(held_event) -> EventReport:
    event = held_event()
    data = {"participants": 4, "trash_kg": 3, "recyclable_kg": 2}
    return report_file(event_id=event.id, user=event.organizer, data=data)[0]


def test_every_impact_admin_page_renders(admin_client, report):
    factors = selectors.factor_set_active()
    monthly = monthly_report_generate(year=2026, month=1)
    pages = [
        "/admin/impact/eventreport/",
        "/admin/impact/eventreport/add/",
        f"/admin/impact/eventreport/{report.pk}/change/",
        "/admin/impact/impactfactorset/",
        "/admin/impact/impactfactorset/add/",
        f"/admin/impact/impactfactorset/{factors.pk}/change/",
        "/admin/impact/monthlyimpactreport/",
        f"/admin/impact/monthlyimpactreport/{monthly.pk}/change/",
    ]
    for page in pages:
        assert admin_client.get(page).status_code == 200, page
    assert admin_client.get("/admin/impact/monthlyimpactreport/add/").status_code == 403


def test_a_published_factor_version_cannot_be_edited_in_the_admin(admin_client):
    factors = selectors.factor_set_active()
    page = admin_client.get(f"/admin/impact/impactfactorset/{factors.pk}/change/")
    form_fields = page.context["adminform"].form.fields
    assert "recycling_kg_co2e_per_kg" not in form_fields and "sources" not in form_fields


def test_admin_actions_activate_factors_and_recompute_reports(admin_client, report):
    old = selectors.factor_set_active()
    newer = ImpactFactorSet.objects.create(
        version="admin-test",
        recycling_kg_co2e_per_kg=old.recycling_kg_co2e_per_kg + 1,
        tree_kg_co2_per_tree=old.tree_kg_co2_per_tree,
        sources={"note": "test data"},
    )

    admin_client.post("/admin/impact/impactfactorset/", {"action": "activate", "_selected_action": [newer.pk]})
    admin_client.post("/admin/impact/eventreport/", {"action": "recompute_impact", "_selected_action": [report.pk]})

    assert selectors.factor_set_active() == newer
    report.refresh_from_db()
    assert report.factors_version == "admin-test"
    assert report.co2e_kg == (2 * newer.recycling_kg_co2e_per_kg).quantize(Decimal("0.001"))
    assert report.co2e_kg != (2 * old.recycling_kg_co2e_per_kg).quantize(Decimal("0.001"))


def test_monthly_regenerate_action_replaces_the_row(admin_client, report):
    monthly = monthly_report_generate(year=2026, month=1)
    admin_client.post("/admin/impact/monthlyimpactreport/", {"action": "regenerate", "_selected_action": [monthly.pk]})
    assert MonthlyImpactReport.objects.get(pk=monthly.pk).generated_at > monthly.generated_at
