"""A trial as the planner needs it, from its SweepTrial, Job, pods and metrics: pure.

The phase comes from the Job and pods (``observe``) until it is final; a final phase
(Succeeded, Failed, EarlyTerminated, MetricsUnavailable) stored in the SweepTrial is kept.
The primary metric's curve merges three sources, so losing one loses nothing: Prometheus,
the curve stored in the SweepTrial, and the termination message of the finished container.
A trial that finished without ever reporting the primary metric is MetricsUnavailable once
``grace`` seconds have passed (never a wait forever); until then it still counts as running.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from kubesweep.domain.trials import MetricPoint, Objective, TrialPhase, TrialRecord
from kubesweep.k8s.observe import observe_trial, timestamp

FINAL = {
    TrialPhase.SUCCEEDED,
    TrialPhase.FAILED,
    TrialPhase.EARLY_TERMINATED,
    TrialPhase.METRICS_UNAVAILABLE,
}
MAX_STORED_POINTS = 500


def rfc3339(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class TrialView:
    name: str
    record: TrialRecord
    status: dict[str, Any]
    """The SweepTrial status this view implies (written when it differs)."""

    job_missing: bool


def merge_points(*sources: Iterable[Sequence[float]]) -> tuple[MetricPoint, ...]:
    """One value per step; a later source wins a step both report."""
    by_step: dict[int, float] = {}
    for source in sources:
        for point in source:
            by_step[int(point[0])] = float(point[1])
    return tuple(MetricPoint(step, by_step[step]) for step in sorted(by_step))


def thin(points: Sequence[MetricPoint], limit: int = MAX_STORED_POINTS) -> list[list[float]]:
    """At most ``limit`` points, evenly spread, the first and last kept."""
    if len(points) <= limit:
        chosen = list(points)
    else:
        stride = (len(points) - 1) / (limit - 1)
        chosen = [points[round(i * stride)] for i in range(limit)]
    return [[p.step, p.value] for p in chosen]


def metric_summary(record: TrialRecord, objective: Objective) -> dict[str, Any] | None:
    if not record.history:
        return None
    best = record.best(objective)
    last = record.history[-1]
    return {
        "best": None if best is None else best.value,
        "bestStep": None if best is None else best.step,
        "last": last.value,
        "lastStep": last.step,
        "curve": thin(record.history),
    }


def _termination_points(termination: Mapping[str, Any] | None, metric: str) -> list[list[float]]:
    if not termination:
        return []
    points = [p for p in termination.get("curve") or [] if isinstance(p, list) and len(p) == 2]
    summary = (termination.get("metrics") or {}).get(metric) or {}
    for value_key, step_key in (("best", "bestStep"), ("last", "lastStep")):
        if summary.get(value_key) is not None and summary.get(step_key) is not None:
            points.append([summary[step_key], summary[value_key]])
    return points


def view_trial(
    trial: Mapping[str, Any],
    job: Mapping[str, Any] | None,
    pods: Sequence[Mapping[str, Any]],
    curve: Sequence[tuple[int, float]],
    objective: Objective,
    now: float,
    grace: float,
) -> TrialView:
    spec = trial["spec"]
    stored = trial.get("status") or {}
    stored_curve = (stored.get("metric") or {}).get("curve") or []
    stored_phase = TrialPhase(stored["phase"]) if stored.get("phase") else None
    name = trial["metadata"]["name"]

    if stored_phase in FINAL:
        history = merge_points(stored_curve, curve)
        record = TrialRecord(
            spec["index"],
            spec["parameters"],
            stored_phase,
            history,
            timestamp(stored.get("startTime")),
            timestamp(stored.get("completionTime")),
        )
        status = {**stored, "metric": metric_summary(record, objective) or stored.get("metric")}
        return TrialView(name, record, status, job_missing=False)

    if job is None:
        record = TrialRecord(spec["index"], spec["parameters"], TrialPhase.PENDING)
        status = {"phase": "Pending", "reason": "Creating", "message": "creating the trial's Job"}
        return TrialView(name, record, status, job_missing=True)

    seen = observe_trial(dict(job), [dict(p) for p in pods])
    history = merge_points(
        stored_curve, curve, _termination_points(seen.termination, objective.primary_metric)
    )
    phase, reason, message = seen.phase, seen.reason, seen.message
    finished_at = seen.finished_at
    if phase is TrialPhase.SUCCEEDED and not history:
        waited = now - (finished_at or now)
        if waited >= grace:
            phase = TrialPhase.METRICS_UNAVAILABLE
            reason = "NoMetrics"
            message = (
                f"the trial finished without reporting {objective.primary_metric} "
                f"(waited {grace:.0f}s for it)"
            )
        else:
            phase, reason, message = TrialPhase.RUNNING, "AwaitingMetrics", None
            finished_at = None
    if phase not in FINAL:
        finished_at = None
    # A trial awaiting its metrics has stopped running: trialTimeout no longer applies.
    running = phase is TrialPhase.RUNNING and reason != "AwaitingMetrics"
    started = seen.started_at if running else None
    record = TrialRecord(spec["index"], spec["parameters"], phase, history, started, finished_at)
    status = {
        "phase": phase.value,
        "reason": reason,
        "message": message,
        "metric": metric_summary(record, objective),
        "startTime": rfc3339(seen.started_at),
        "completionTime": rfc3339(finished_at),
    }
    return TrialView(name, record, status, job_missing=False)
