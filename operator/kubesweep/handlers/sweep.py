"""The SweepJob reconciler: one kopf timer per running sweep.

Each tick reads the sweep's SweepTrials, Jobs and pods (three list calls) and its trials'
curves (one Prometheus query), turns them into trial records, asks ``plan_next_step`` what
to do, and does it: stops trials (deleting their Jobs; their pods go with them), creates
trials (SweepTrial first, then its Job, both with deterministic names), writes trial and
sweep status, and posts Events. State is only in the cluster, so a restarted operator
carries on where it stopped.
"""

from __future__ import annotations

import copy
import os
import time
from collections.abc import Mapping
from typing import Any

import kopf
from kubernetes import client
from kubernetes import config as kube_config

from kubesweep.api.convert import to_limits, to_sweep_spec
from kubesweep.api.models import API_GROUP, API_VERSION, SweepJob
from kubesweep.api.validation import validate_document
from kubesweep.domain.planner import Plan, StopReason, TrialToStop, counts_after, plan_next_step
from kubesweep.handlers.settings import OperatorSettings
from kubesweep.handlers.telemetry import Telemetry
from kubesweep.k8s.gateway import Gateway, now_rfc3339
from kubesweep.k8s.manifests import (
    build_sweep_trial,
    build_trial_job,
    trial_name,
)
from kubesweep.k8s.observe import timestamp
from kubesweep.k8s.trials import FINAL, TrialView, rfc3339, view_trial
from kubesweep.metrics.prometheus import MetricsUnavailableError, query_curves

FINISHED = ("Succeeded", "Failed", "Stopped")


def _api_client() -> client.ApiClient:
    """In a pod, its ServiceAccount; elsewhere the current kubeconfig."""
    try:
        kube_config.load_incluster_config()  # type: ignore[no-untyped-call]
    except kube_config.ConfigException:
        kube_config.load_kube_config()  # type: ignore[no-untyped-call]
    return client.ApiClient()


@kopf.on.startup()
def startup(settings: kopf.OperatorSettings, memo: kopf.Memo, **_: Any) -> None:
    settings.posting.enabled = False  # kubesweep posts its own Events, for users
    # Resources are found once, by API discovery: no watching CRDs or namespaces, so the
    # operator needs no cluster-wide read rights beyond its own resources.
    settings.scanning.disabled = True
    memo.gateway = Gateway(_api_client())
    if "settings" not in memo:
        memo.settings = OperatorSettings.from_environment()
    memo.telemetry = Telemetry()
    if memo.settings.metrics_port:
        memo.telemetry.serve(memo.settings.metrics_port)


@kopf.on.event(API_GROUP, API_VERSION, "sweepjobs")
def track(event: kopf.RawEvent, memo: kopf.Memo, **_: Any) -> None:
    """Keep the operator's sweep and trial gauges in step with every SweepJob."""
    body = event["object"]
    uid = body["metadata"]["uid"]
    memo.telemetry.observe_sweep(
        uid, None if event["type"] == "DELETED" else body.get("status") or {}
    )


def _condition(kind: str, status: bool, reason: str, message: str) -> dict[str, Any]:
    return {
        "type": kind,
        "status": "True" if status else "False",
        "reason": reason,
        "message": message,
        "lastTransitionTime": now_rfc3339(),
    }


def _set_condition(conditions: list[dict[str, Any]], new: dict[str, Any]) -> list[dict[str, Any]]:
    """Conditions by type; the transition time changes only when the status does."""
    result = []
    found = False
    for old in conditions:
        if old.get("type") == new["type"]:
            found = True
            if old.get("status") == new["status"]:
                new = {**new, "lastTransitionTime": old.get("lastTransitionTime")}
            result.append(new)
        else:
            result.append(old)
    if not found:
        result.append(new)
    return result


def _seed(body: Mapping[str, Any]) -> int:
    status = body.get("status") or {}
    if status.get("samplingSeed") is not None:
        return int(status["samplingSeed"])
    seed = (body["spec"].get("samplingAlgorithm") or {}).get("seed")
    if seed is not None:
        return int(seed)
    return int(body["metadata"]["uid"].replace("-", "")[:8], 16)


def _not_finished(status: Mapping[str, Any], **_: Any) -> bool:
    return (status or {}).get("phase") not in FINISHED


def _trial_status_for_stop(stop: TrialToStop, view: TrialView) -> dict[str, Any]:
    phase = stop.reason.phase
    reason = {
        StopReason.EARLY_TERMINATION: f"EarlyTerminated:{stop.policy}",
        StopReason.TRIAL_TIMEOUT: "TrialTimeout",
        StopReason.SWEEP_ENDED: "SweepEnded",
    }[stop.reason]
    return {
        **view.status,
        "phase": phase.value,
        "reason": reason,
        "message": stop.message,
        "completionTime": now_rfc3339(),
        **({"decision": {"step": stop.step, **stop.details}} if stop.details else {}),
    }


@kopf.timer(
    API_GROUP,
    API_VERSION,
    "sweepjobs",
    interval=float(os.environ.get("KUBESWEEP_POLL_INTERVAL", "2")),
    backoff=5.0,  # after a failed API call, try again soon rather than in a minute
    when=_not_finished,
)
def reconcile(body: kopf.Body, memo: kopf.Memo, patch: kopf.Patch, **_: Any) -> None:
    telemetry: Telemetry = memo.telemetry
    with telemetry.planning.time():
        _reconcile(body, memo, patch, telemetry)


def _reconcile(body: kopf.Body, memo: kopf.Memo, patch: kopf.Patch, telemetry: Telemetry) -> None:
    sweep = copy.deepcopy(dict(body))
    gateway: Gateway = memo.gateway
    settings: OperatorSettings = memo.settings
    status = dict(sweep.get("status") or {})
    namespace, name = sweep["metadata"]["namespace"], sweep["metadata"]["name"]
    conditions: list[dict[str, Any]] = list(status.get("conditions") or [])

    problems = validate_document({k: sweep[k] for k in ("apiVersion", "kind", "metadata", "spec")})
    if problems:
        message = "; ".join(str(p) for p in problems)
        patch.status["phase"] = "Failed"
        patch.status["conditions"] = _set_condition(
            conditions, _condition("Invalid", True, "InvalidSpec", message)
        )
        gateway.event(sweep, "InvalidSpec", message, "Warning")
        return

    model = SweepJob.model_validate(
        {k: sweep[k] for k in ("apiVersion", "kind", "metadata", "spec")}
    )
    seed = _seed(sweep)
    spec = to_sweep_spec(model.spec, seed=seed)
    now = time.time()
    started_at = timestamp(status.get("startTime")) or now
    if not status.get("startTime"):
        patch.status["startTime"] = rfc3339(started_at)
        patch.status["samplingSeed"] = seed
        gateway.event(
            sweep, "SweepStarted", f"sampling {model.spec.sampling_algorithm.type}, seed {seed}"
        )

    trials = gateway.trials(namespace, name)
    jobs = gateway.jobs(namespace, name)
    pods = gateway.pods(namespace, name)
    curves, stale = _read_curves(model, settings, spec.objective.primary_metric, telemetry)
    conditions = _set_condition(
        conditions,
        _condition(
            "MetricsStale",
            stale is not None,
            "PrometheusUnavailable" if stale else "PrometheusAnswering",
            stale or "metrics are read from Prometheus",
        ),
    )

    pods_by_job: dict[str, list[dict[str, Any]]] = {}
    for pod in pods:
        owner = (pod["metadata"].get("labels") or {}).get("job-name")
        if owner:
            pods_by_job.setdefault(owner, []).append(pod)
    views = [
        view_trial(
            t,
            jobs.get(t["metadata"]["name"]),
            pods_by_job.get(t["metadata"]["name"], []),
            curves.get(t["metadata"]["name"], []),
            spec.objective,
            now,
            settings.metrics_grace,
        )
        for t in trials
    ]
    by_index = {v.record.index: v for v in views}
    stored = {t["metadata"]["name"]: t for t in trials}
    trial_timeout = to_limits(model.spec.limits).trial_timeout

    # Repair what a crash between two writes left: a SweepTrial without its Job gets one; a
    # trial recorded as stopped whose Job still exists loses it.
    for view in views:
        if view.job_missing:
            _create_job(gateway, sweep, stored[view.name], trial_timeout)
        elif _was_stopped(view.status) and view.name in jobs:
            gateway.delete_job(namespace, view.name)

    with telemetry.suggestion.time():
        plan = plan_next_step(spec, [v.record for v in views], now=now, started_at=started_at)
    _carry_out(gateway, sweep, plan, by_index, stored, trial_timeout)
    for stop in plan.stop:
        telemetry.stopped.labels(stop.reason.value).inc()
    telemetry.created.inc(len(plan.create))
    _write_trial_statuses(gateway, sweep, views, plan, stored)
    _write_sweep_status(gateway, sweep, patch, plan, by_index, conditions, now)


def _was_stopped(status: Mapping[str, Any]) -> bool:
    reason = str(status.get("reason") or "")
    return reason in ("TrialTimeout", "SweepEnded") or reason.startswith("EarlyTerminated:")


def _read_curves(
    model: SweepJob, settings: OperatorSettings, metric: str, telemetry: Telemetry
) -> tuple[dict[str, list[tuple[int, float]]], str | None]:
    """Every trial's curve from Prometheus, or why there is none (then: stale)."""
    prometheus = model.spec.metrics.prometheus if model.spec.metrics else None
    url = prometheus.url if prometheus else settings.prometheus_url
    if url is None:
        return {}, "no Prometheus URL: set spec.metrics.prometheus.url or the operator's default"
    namespace, name = model.metadata.namespace or "", model.metadata.name or ""
    try:
        return query_curves(url, namespace, name, metric), None
    except MetricsUnavailableError as error:
        telemetry.query_errors.inc()
        return {}, str(error)


def _create_job(
    gateway: Gateway, sweep: dict[str, Any], trial: dict[str, Any], timeout: float | None
) -> None:
    job = build_trial_job(sweep, trial, trial["spec"]["parameters"], timeout)
    if gateway.create_job(job):
        gateway.event(
            sweep,
            "TrialCreated",
            f"trial {trial['metadata']['name']} with {trial['spec']['parameters']}",
        )


def _carry_out(
    gateway: Gateway,
    sweep: dict[str, Any],
    plan: Plan,
    by_index: dict[int, TrialView],
    stored: dict[str, dict[str, Any]],
    timeout: float | None,
) -> None:
    namespace = sweep["metadata"]["namespace"]
    for stop in plan.stop:
        view = by_index[stop.index]
        # The decision is recorded before the Job goes, so a crash in between cannot make
        # the next tick mistake the trial for one whose Job was never created.
        new_status = _trial_status_for_stop(stop, view)
        gateway.patch_trial_status(namespace, view.name, new_status)
        stored[view.name]["status"] = new_status
        gateway.delete_job(namespace, view.name)
        gateway.event(
            sweep, "TrialStopped", f"trial {view.name}: {new_status['reason']}: {stop.message}"
        )
    for create in plan.create:
        trial = gateway.create_trial(build_sweep_trial(sweep, create.index, create.parameters))
        _create_job(gateway, sweep, trial, timeout)


def _write_trial_statuses(
    gateway: Gateway,
    sweep: dict[str, Any],
    views: list[TrialView],
    plan: Plan,
    stored: dict[str, dict[str, Any]],
) -> None:
    namespace = sweep["metadata"]["namespace"]
    stopped = {s.index for s in plan.stop}
    for view in views:
        if view.record.index in stopped:
            continue
        old = stored[view.name].get("status") or {}
        new = {k: v for k, v in view.status.items() if v is not None}
        if {k: v for k, v in old.items() if v is not None} == new:
            continue
        gateway.patch_trial_status(namespace, view.name, new)
        old_phase, new_phase = old.get("phase"), new.get("phase")
        if old_phase != new_phase and new_phase in {p.value for p in FINAL}:
            gateway.event(
                sweep,
                f"Trial{new_phase}",
                f"trial {view.name}: {new.get('reason') or new_phase}"
                + (f": {new['message']}" if new.get("message") else ""),
                "Warning" if new_phase in ("Failed", "MetricsUnavailable") else "Normal",
            )
        elif old_phase != new_phase and new_phase == "Running":
            gateway.event(sweep, "TrialRunning", f"trial {view.name} is running")


def _write_sweep_status(
    gateway: Gateway,
    sweep: dict[str, Any],
    patch: kopf.Patch,
    plan: Plan,
    by_index: dict[int, TrialView],
    conditions: list[dict[str, Any]],
    now: float,
) -> None:
    name = sweep["metadata"]["name"]
    counts = counts_after([v.record for v in by_index.values()], plan)
    patch.status["trials"] = {
        "created": counts.created,
        "pending": counts.pending,
        "running": counts.running,
        "succeeded": counts.succeeded,
        "failed": counts.failed,
        "earlyTerminated": counts.early_terminated,
        "metricsUnavailable": counts.metrics_unavailable,
        "completed": counts.completed,
    }
    if plan.best_trial is not None:
        best = plan.best_trial
        patch.status["bestTrial"] = {
            "name": trial_name(name, best.index),
            "parameters": dict(best.parameters),
            "metric": best.metric,
            "step": best.step,
        }
    if plan.completion is None:
        patch.status["phase"] = "Running"
        conditions = _set_condition(
            conditions, _condition("Complete", False, "Running", "the sweep is running")
        )
    else:
        completion = plan.completion
        patch.status["phase"] = completion.phase.value
        patch.status["completionTime"] = rfc3339(now)
        conditions = _set_condition(
            conditions,
            _condition("Complete", True, completion.reason.value, completion.message),
        )
        if completion.phase.value == "Failed":
            conditions = _set_condition(
                conditions, _condition("Failed", True, completion.reason.value, completion.message)
            )
        gateway.event(
            sweep,
            f"Sweep{completion.phase.value}",
            f"{completion.reason.value}: {completion.message}",
            "Normal" if completion.phase.value == "Succeeded" else "Warning",
        )
    patch.status["conditions"] = conditions
    patch.status["observedGeneration"] = sweep["metadata"].get("generation")


__all__ = ["reconcile", "startup", "track"]
