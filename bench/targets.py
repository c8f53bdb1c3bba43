"""The targets of the performance work, checked against one run's figures (report.record): the table that ends the
report of `make bench`. Ratios within the run, as the targets are stated; a target whose figures a group did not
record (it did not run, or failed) is left unchecked."""

from __future__ import annotations

from collections.abc import Callable

from bench import report

Figures = dict[str, float]
Check = Callable[[Figures], tuple[str, bool]]  # the figures -> (what was measured, met)


def _share(f: Figures, key: str) -> float:
    return 100 * f[key] / f["http.floor_rps"]


def _signed_in_list(f: Figures) -> tuple[str, bool]:
    rps, p99 = f["http.list_signed_in.gateway.rps"], f["http.list_signed_in.gateway.p99_ms"]
    share = _share(f, "http.list_signed_in.gateway.rps")
    text = f"{rps:,.0f} req/s = {share:.2f} % of {f['http.floor_rps']:,.0f}; p99 {p99:.0f} ms"
    return text, share >= 0.4 and p99 <= 150


def _against_drf(f: Figures) -> tuple[str, bool]:
    ours, drf = f["http.list_signed_in.replica.rps"], f["http.list_signed_in.reference.rps"]
    return f"{ours:,.0f} vs {drf:,.0f} req/s = {report.ratio(ours, drf)}", ours >= 3 * drf


def _growth(key: str) -> Check:
    def check(f: Figures) -> tuple[str, bool]:
        small, large, ratio = (f[f"growth.{key}.{part}"] for part in ("small_ms", "large_ms", "ratio"))
        return f"{small:.1f} -> {large:.1f} ms = {ratio:.2f}x", ratio <= 1.5

    return check


def _share_of_floor(key: str, goal_pct: float) -> Check:
    def check(f: Figures) -> tuple[str, bool]:
        return f"{f[key]:,.0f} req/s = {_share(f, key):.2f} %", _share(f, key) >= goal_pct

    return check


def _latency(f: Figures) -> tuple[str, bool]:
    ours, celery = f["jobs.latency.ours.p99_ms"], f["jobs.latency.reference.p99_ms"]
    cpu, celery_cpu = f["jobs.idle_cpu.ours"], f["jobs.idle_cpu.reference"]
    text = f"p99 {ours:.0f} ms (Celery {celery:.0f} ms); idle CPU {cpu:.2f} % of a core (Celery {celery_cpu:.2f} %)"
    return text, ours <= 100


def _fan_out(f: Figures) -> tuple[str, bool]:
    rate, per_cpu, peak_mib = (f[f"reminders.{key}"] for key in ("enqueued_per_s", "enqueued_per_cpu_s", "peak_mib"))
    text = f"{rate:,.0f} msg/s (wall; {per_cpu:,.0f} per CPU second); peak {peak_mib:.0f} MiB"
    return text, rate >= 25_000 and peak_mib * 1.048576 < 150


def _aggregation(key: str) -> Check:
    def check(f: Figures) -> tuple[str, bool]:
        ours, bare, ratio = (f[f"aggregations.{key}.{part}"] for part in ("ours_ms", "bare_ms", "ratio"))
        return f"{ours:,.1f} ms vs {bare:,.1f} ms = {ratio:.2f}x", ratio <= 2

    return check


def _drain(f: Figures) -> tuple[str, bool]:
    ours, sink = f["jobs.drain.ours_per_s"], f["jobs.drain.sink_per_s"]
    # The sink's rate is what 4 plain SMTP clients reach on the same cores: ours within 80 % of it means the sink
    # (and the shared CPUs) bound the drain, not our code.
    return f"ours {ours:,.0f}/s, the sink alone {sink:,.0f}/s = {report.ratio(ours, sink)}", ours >= 0.8 * sink


TARGETS: list[tuple[str, str, Check]] = [
    ("signed-in list, page of 50, through the gateway", ">= 0.4 % of the nginx floor, p99 <= 150 ms at 50 connections",
     _signed_in_list),
    ("signed-in list against the DRF reference (each on one gunicorn, same workers)", ">= 3x its requests/s",
     _against_drf),
    *[(f"growth of the {what} p50, small -> large table", "<= 1.5x", _growth(key))
      for what, key in (("list", "list"), ("detail", "detail"), ("near=", "near"))],
    ("a trivial API endpoint (`/liveness`) through the gateway", ">= 2.5 % of the nginx floor",
     _share_of_floor("http.liveness.gateway.rps", 2.5)),
    ("the cached anonymous list through the gateway", ">= 40 % of the nginx floor",
     _share_of_floor("http.list_cached.gateway.rps", 40)),
    ("idle join -> e-mail latency", "p99 <= 100 ms, idle CPU written down, Celery the figure to beat", _latency),
    ("reminder fan-out, 10,000 participants", ">= 25,000 msg/s enqueued, worker peak < 150 MB", _fan_out),
    *[(f"{what} against its bare SQL", "<= 2x", _aggregation(key))
      for what, key in (("monthly report", "monthly_report"), ("impact summary", "impact_summary"),
                        ("nightly cleanup", "cleanup"))],
    ("e-mail drain", "bound by the SMTP sink (ours >= 80 % of its rate), both rates written", _drain),
]  # fmt: skip


def section(figures: Figures, *, quick: bool) -> str:
    rows = []
    for name, goal, check in TARGETS:
        try:
            measured, met = check(figures)
        except KeyError:
            rows.append([name, goal, "not measured in this run", "-"])
            continue
        rows.append([name, goal, measured, "met" if met else "NOT MET"])
    note = " Quick run: tiny sizes and 1 s runs, so these verdicts mean nothing." if quick else ""
    table = report.table(["target", "goal", "measured", "verdict"], rows)
    return f"### Targets\n\nEach target against this run's figures.{note}\n\n{table}"


SIDE_BY_SIDE = [
    ("event list, signed in, page of 50 (requests/s, directly on one gunicorn)", "http.list_signed_in.{}.rps"),
    ("event list, signed in: p99 ms", "http.list_signed_in.{}.p99_ms"),
    ("event list, anonymous, uncached pages (requests/s)", "http.list_uncached.{}.rps"),
    ("event list, anonymous, uncached pages: p99 ms", "http.list_uncached.{}.p99_ms"),
    ("idle join -> e-mail p50 ms", "jobs.latency.{}.p50_ms"),
    ("idle join -> e-mail p99 ms", "jobs.latency.{}.p99_ms"),
    ("idle worker CPU, % of a core", "jobs.idle_cpu.{}"),
    ("joins/s, one hot event", "jobs.joins.{}.1.rps"),
    ("joins/s, across 50 events", "jobs.joins.{}.50.rps"),
]


def side_by_side(figures: Figures) -> str:
    """Ours next to the seed's stack (bench/reference: DRF for the list, a Celery task for the join's e-mail)."""
    rows = []
    for name, key in SIDE_BY_SIDE:
        ours = figures.get(key.format("ours" if key.startswith("jobs.") else "replica"))
        theirs = figures.get(key.format("reference"))
        if ours is not None and theirs is not None:
            rows.append([name, ours, theirs, report.ratio(ours, theirs)])
    table = report.table(["measure", "ours", "reference (DRF + Celery)", "ours / reference"], rows)
    return f"### Side by side with the reference\n\n{table}"
