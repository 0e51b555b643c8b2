"""Reading a trial's state from its Job and pods: a pure function of plain dicts.

Pending (created, no pod running yet; with the scheduler's reason, such as ``Insufficient
nvidia.com/gpu``) is told apart from Running. A finished Job gives Succeeded, or Failed with
the reason: the container's exit code, OOMKilled, or the deadline. The termination message
of the trial's container, JSON written by ``kubesweep.trial``, is parsed when present.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kubesweep.domain.trials import TrialPhase


@dataclass(frozen=True)
class Observation:
    phase: TrialPhase
    reason: str | None = None
    message: str | None = None
    started_at: float | None = None
    finished_at: float | None = None
    termination: dict[str, Any] | None = None


def timestamp(text: str | None) -> float | None:
    if not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def _condition(body: dict[str, Any], kind: str) -> dict[str, Any] | None:
    for condition in (body.get("status") or {}).get("conditions") or []:
        if condition.get("type") == kind:
            found: dict[str, Any] = condition
            return found
    return None


def _terminated(pod: dict[str, Any]) -> dict[str, Any] | None:
    for status in (pod.get("status") or {}).get("containerStatuses") or []:
        terminated = (status.get("state") or {}).get("terminated")
        if terminated:
            found: dict[str, Any] = terminated
            return found
    return None


def _termination_document(pods: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    for pod in sorted(pods, key=lambda p: p["metadata"].get("creationTimestamp") or ""):
        terminated = _terminated(pod)
        if terminated and terminated.get("message"):
            try:
                document = json.loads(terminated["message"])
            except ValueError:
                continue
            if isinstance(document, dict):
                return document
    return None


def _started(pods: Sequence[dict[str, Any]]) -> float | None:
    times = [timestamp((p.get("status") or {}).get("startTime")) for p in pods]
    known = [t for t in times if t is not None]
    return min(known) if known else None


def observe_trial(job: dict[str, Any], pods: Sequence[dict[str, Any]]) -> Observation:
    """The trial's phase from its Job and the Job's pods."""
    termination = _termination_document(pods)
    started = _started(pods)
    complete = _condition(job, "Complete")
    failed = _condition(job, "Failed")
    if complete and complete.get("status") == "True":
        return Observation(
            TrialPhase.SUCCEEDED,
            "Completed",
            None,
            started,
            timestamp(complete.get("lastTransitionTime")),
            termination,
        )
    if failed and failed.get("status") == "True":
        reason = str(failed.get("reason") or "Failed")
        message = str(failed.get("message") or "")
        for pod in pods:
            terminated = _terminated(pod)
            if terminated is None:
                continue
            if terminated.get("reason") == "OOMKilled":
                reason, message = "OOMKilled", "the container ran out of memory"
            elif terminated.get("exitCode"):
                reason = "Error"
                message = f"the container exited with code {terminated['exitCode']}"
            break
        if reason == "DeadlineExceeded":
            message = message or "the trial ran longer than trialTimeout"
        return Observation(
            TrialPhase.FAILED,
            reason,
            message,
            started,
            timestamp(failed.get("lastTransitionTime")),
            termination,
        )
    running = [p for p in pods if (p.get("status") or {}).get("phase") == "Running"]
    if running:
        return Observation(TrialPhase.RUNNING, None, None, started, None, termination)
    for pod in pods:
        scheduled = _condition(pod, "PodScheduled")
        if scheduled and scheduled.get("status") == "False":
            return Observation(
                TrialPhase.PENDING,
                str(scheduled.get("reason") or "Unschedulable"),
                str(scheduled.get("message") or ""),
            )
    return Observation(TrialPhase.PENDING, "Starting", "waiting for the trial's pod to start")
