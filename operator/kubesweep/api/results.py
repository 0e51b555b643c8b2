"""What ``kubesweep get`` and ``kubesweep export`` show, built from plain SweepJob and
SweepTrial objects: pure.

The leaderboard sorts trials by the objective (best first; trials that reported nothing
last, by index) and shows each trial's status with the reason a stopped or failed trial
gives, its steps, its best metric and one column per hyperparameter.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any


def _age(created: str | None, now: datetime) -> str:
    if not created:
        return "-"
    seconds = int((now - datetime.fromisoformat(created.replace("Z", "+00:00"))).total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{max(seconds, 0)}s"


def _number(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def sweep_rows(
    sweeps: Sequence[Mapping[str, Any]], now: datetime | None = None
) -> list[dict[str, str]]:
    """One row per SweepJob: name, phase, progress and best metric."""
    now = now or datetime.now(UTC)
    rows = []
    for sweep in sorted(sweeps, key=lambda s: s["metadata"]["name"]):
        status = sweep.get("status") or {}
        counts = status.get("trials") or {}
        best = status.get("bestTrial") or {}
        rows.append(
            {
                "NAME": sweep["metadata"]["name"],
                "PHASE": status.get("phase") or "Pending",
                "DONE": f"{counts.get('completed', 0)}/{sweep['spec']['limits']['maxTotalTrials']}",
                "RUNNING": str(counts.get("running", 0)),
                "METRIC": sweep["spec"]["objective"]["primaryMetric"],
                "BEST": _number(best.get("metric")),
                "BEST TRIAL": best.get("name") or "-",
                "AGE": _age(sweep["metadata"].get("creationTimestamp"), now),
            }
        )
    return rows


def trial_records(trials: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One plain record per trial, for export (JSON and CSV)."""
    records = []
    for trial in sorted(trials, key=lambda t: t["spec"]["index"]):
        status = trial.get("status") or {}
        metric = status.get("metric") or {}
        records.append(
            {
                "trial": trial["metadata"]["name"],
                "index": trial["spec"]["index"],
                "status": status.get("phase") or "Pending",
                "reason": status.get("reason"),
                "steps": metric.get("lastStep") or 0,
                "best": metric.get("best"),
                "bestStep": metric.get("bestStep"),
                "last": metric.get("last"),
                "parameters": dict(trial["spec"]["parameters"]),
                "startTime": status.get("startTime"),
                "completionTime": status.get("completionTime"),
            }
        )
    return records


def leaderboard(
    sweep: Mapping[str, Any], trials: Sequence[Mapping[str, Any]]
) -> list[dict[str, str]]:
    """The trials of ``sweep``, best first by its objective, one column per parameter."""
    minimize = sweep["spec"]["objective"]["goal"] == "minimize"
    names = list(sweep["spec"]["searchSpace"])

    def order(record: Mapping[str, Any]) -> tuple[int, float, int]:
        best = record["best"]
        if best is None or not math.isfinite(best):
            return (1, 0.0, record["index"])
        return (0, best if minimize else -best, record["index"])

    rows = []
    for rank, record in enumerate(sorted(trial_records(trials), key=order), start=1):
        status = record["status"]
        if record["reason"] and status in ("EarlyTerminated", "Failed", "MetricsUnavailable"):
            status = f"{status} ({record['reason']})"
        row = {
            "RANK": str(rank) if record["best"] is not None else "-",
            "TRIAL": record["trial"],
            "STATUS": status,
            "STEPS": str(record["steps"]),
            sweep["spec"]["objective"]["primaryMetric"].upper(): _number(record["best"]),
        }
        for name in names:
            row[name] = _number(record["parameters"].get(name))
        rows.append(row)
    return rows


def table(rows: Sequence[Mapping[str, str]]) -> str:
    """Rows as kubectl prints them: left-aligned columns, three spaces apart."""
    if not rows:
        return "No resources found.\n"
    headers = list(rows[0])
    widths = {h: max(len(h), *(len(r[h]) for r in rows)) for h in headers}
    lines = ["   ".join(h.ljust(widths[h]) for h in headers).rstrip()]
    lines += ["   ".join(r[h].ljust(widths[h]) for h in headers).rstrip() for r in rows]
    return "\n".join(lines) + "\n"


def progress_bar(done: int, total: int, width: int = 30) -> str:
    filled = 0 if total <= 0 else min(width, round(width * done / total))
    return "[" + "#" * filled + "." * (width - filled) + f"] {done}/{total}"


def watch_view(
    sweep: Mapping[str, Any], events: Sequence[Mapping[str, str]], recent: int = 5
) -> list[str]:
    """The lines ``kubesweep watch`` shows: progress, counts by phase, best trial, events."""
    status = sweep.get("status") or {}
    counts = status.get("trials") or {}
    total = sweep["spec"]["limits"]["maxTotalTrials"]
    best = status.get("bestTrial") or {}
    metric = sweep["spec"]["objective"]["primaryMetric"]
    lines = [
        f"{sweep['metadata']['name']}  {status.get('phase') or 'Pending'}  "
        + progress_bar(int(counts.get("completed") or 0), total),
        "trials: "
        + "  ".join(
            f"{label} {counts.get(key, 0)}"
            for label, key in (
                ("pending", "pending"),
                ("running", "running"),
                ("succeeded", "succeeded"),
                ("stopped", "earlyTerminated"),
                ("failed", "failed"),
                ("no-metrics", "metricsUnavailable"),
            )
        ),
        (
            f"best: {best['name']} {metric}={_number(best.get('metric'))} at step "
            f"{best.get('step')} {best.get('parameters')}"
            if best
            else f"best: none yet ({metric})"
        ),
    ]
    for event in list(events)[-recent:]:
        lines.append(
            f"  {event.get('time', '')}  {event.get('reason', '')}: {event.get('message', '')}"
        )
    return lines
