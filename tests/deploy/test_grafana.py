"""deploy/grafana: the four dashboards parse, query the provisioned Prometheus data source, use only metrics the
code exports, and the compose file provisions them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.deploy.exported_metrics import exported_metric_names, metric_names_in

ROOT = Path(__file__).resolve().parents[2]
GRAFANA = ROOT / "deploy" / "grafana"
DASHBOARDS = sorted((GRAFANA / "dashboards").glob("*.json"))


def _datasource_uid() -> str:
    sources = yaml.safe_load((GRAFANA / "provisioning" / "datasources" / "datasources.yml").read_text())["datasources"]
    [source] = [s for s in sources if s["type"] == "prometheus"]
    assert source["url"] == "http://prometheus:9090" and source["isDefault"]
    return source["uid"]


def _targets(dashboard: dict) -> list[dict]:
    return [target for panel in dashboard["panels"] for target in panel.get("targets", [])]


def test_the_four_dashboards_exist_with_unique_uids():
    dashboards = [json.loads(path.read_text()) for path in DASHBOARDS]
    assert {path.stem for path in DASHBOARDS} == {"api", "jobs", "scheduler", "business"}
    uids = [d["uid"] for d in dashboards]
    assert len(set(uids)) == len(uids)
    for dashboard in dashboards:
        ids = [panel["id"] for panel in dashboard["panels"]]
        assert len(ids) == len(set(ids)), dashboard["uid"]
        assert _targets(dashboard), dashboard["uid"]


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.stem)
def test_every_panel_queries_the_provisioned_prometheus_with_metrics_the_code_exports(path):
    dashboard = json.loads(path.read_text())
    uid, exported = _datasource_uid(), exported_metric_names()
    for panel in dashboard["panels"]:
        assert panel["datasource"] == {"type": "prometheus", "uid": uid}, panel["title"]
        for target in panel["targets"]:
            names = metric_names_in(target["expr"])
            assert names, f"{panel['title']}: no metric in {target['expr']!r}"
            unknown = names - exported
            assert not unknown, f"{path.name} / {panel['title']}: metrics nothing exports: {sorted(unknown)}"


def test_business_figures_are_counters_and_no_instrument_has_a_personal_label():
    from prometheus_client import REGISTRY

    dashboard = json.loads((GRAFANA / "dashboards" / "business.json").read_text())
    for target in _targets(dashboard):
        assert all(name.endswith("_total") for name in metric_names_in(target["expr"])), target["expr"]
    labels = {label for collector in set(REGISTRY._names_to_collectors.values())
              for label in getattr(collector, "_labelnames", ())}  # fmt: skip
    assert "route" in labels  # the introspection works
    assert not labels & {"user", "user_id", "username", "email", "phone", "ip", "address", "path"}, labels


def test_the_compose_file_provisions_grafana_and_prometheus():
    services = yaml.safe_load((ROOT / "docker-compose.distributed.yml").read_text())["services"]
    grafana = services["grafana"]
    assert "./deploy/grafana/provisioning:/etc/grafana/provisioning:ro" in grafana["volumes"]
    assert "./deploy/grafana/dashboards:/var/lib/grafana/dashboards:ro" in grafana["volumes"]
    provider = yaml.safe_load((GRAFANA / "provisioning" / "dashboards" / "mutiroes.yml").read_text())["providers"][0]
    assert provider["options"]["path"] == "/var/lib/grafana/dashboards"
    prometheus = services["prometheus"]
    assert "./deploy/prometheus/alerts.yml:/etc/prometheus/alerts.yml:ro" in prometheus["volumes"]
    config = yaml.safe_load((ROOT / "deploy" / "prometheus" / "prometheus.yml").read_text())
    assert config["rule_files"] == ["/etc/prometheus/alerts.yml"]
    scraped = {
        target for job in config["scrape_configs"] for group in job["static_configs"] for target in group["targets"]
    }
    # Every application container that exposes metrics is scraped (the exporter through the gateway's namespace).
    for name, service in services.items():
        command = service.get("command") or []
        if service.get("image") == "mutiroes:latest" and command[:1] in (["serve"], ["dashboard"]):
            assert f"{name}:{command[command.index('--port') + 1]}" in scraped, name
        if "--metrics-port" in command:
            assert f"{name}:{command[command.index('--metrics-port') + 1]}" in scraped, name
    assert services["exporter"]["network_mode"] == "service:gateway" and "gateway:9100" in scraped
