"""The metric names the code exports, and the metric names a PromQL expression uses (alerts, dashboards)."""

from __future__ import annotations

import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "mutiroes"
# Families built at scrape time (collectors): found in the source, `GaugeMetricFamily("mutiroes_...", ...)`.
FAMILY = re.compile(r"(Gauge|Counter)MetricFamily\(\s*f?\"(mutiroes_[a-z0-9_{}]+)\"")
# Prometheus's own series for every target.
NGINX_COUNTERS = ("accepted", "handled", "requests")
BUILT_IN = {"up", "scrape_duration_seconds", "scrape_samples_scraped"}
KEYWORDS = {
    "by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool", "offset",
    "inf", "nan", "le",
}  # fmt: skip


def exported_metric_names() -> set[str]:
    from prometheus_client import REGISTRY

    from mutiroes.infra import metrics  # noqa: F401 - registers the instruments

    # Every sample name of every instrument, suffixes included (_total, _bucket, _sum, _count, _created):
    # the registry's own index, since an instrument with labels has no sample until it is used.
    indexed = set(REGISTRY._names_to_collectors)
    # The index also holds a counter's or histogram's bare name, which is never a sample's name.
    names = {n for n in indexed if f"{n}_total" not in indexed and f"{n}_bucket" not in indexed}
    for path in SRC.rglob("*.py"):
        for kind, name in FAMILY.findall(path.read_text()):
            # An f-string: mutiroes_nginx_{name} for accepted, handled, requests.
            found = {name.replace("{name}", part) for part in NGINX_COUNTERS} if "{" in name else {name}
            names |= {f"{n}_total" for n in found} if kind == "Counter" else found
    return names | BUILT_IN


def metric_names_in(expr: str) -> set[str]:
    """The series names a PromQL expression selects (strings, label matchers, groupings, ranges removed)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', "", expr)
    text = re.sub(r"\{[^}]*\}", "", text)
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    text = re.sub(r"\[[^\]]*\]", "", text)
    names = set()
    for match in re.finditer(r"(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?", text):
        name, call = match.group(1), match.group(2)
        if call is None and name.lower() not in KEYWORDS and not re.fullmatch(r"\d+[smhdwy]", name):
            names.add(name)
    return names
