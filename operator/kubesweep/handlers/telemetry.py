"""The operator's own metrics, for the platform team (prometheus-client).

- ``kubesweep_sweeps{phase}``: SweepJobs by phase.
- ``kubesweep_trials{phase}``: trials by phase, over every sweep.
- ``kubesweep_trials_created_total``, ``kubesweep_trials_stopped_total{reason}``.
- ``kubesweep_planning_duration_seconds``: one planning tick of one sweep, end to end.
- ``kubesweep_suggestion_duration_seconds``: the planner alone (samplers and policies).
- ``kubesweep_prometheus_query_errors_total``: failed reads of trial metrics.

Sweep and trial gauges are rebuilt from the SweepJobs the operator sees (their phase and
``status.trials``), so they are right after a restart too.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

SWEEP_PHASES = ("Pending", "Running", "Succeeded", "Failed", "Stopped")
TRIAL_FIELDS = {
    "Pending": "pending",
    "Running": "running",
    "Succeeded": "succeeded",
    "Failed": "failed",
    "EarlyTerminated": "earlyTerminated",
    "MetricsUnavailable": "metricsUnavailable",
}


class Telemetry:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.sweeps = Gauge(
            "kubesweep_sweeps", "SweepJobs by phase", ["phase"], registry=self.registry
        )
        self.trials = Gauge(
            "kubesweep_trials",
            "Trials by phase, over every sweep",
            ["phase"],
            registry=self.registry,
        )
        self.created = Counter("kubesweep_trials_created", "Trials created", registry=self.registry)
        self.stopped = Counter(
            "kubesweep_trials_stopped",
            "Trials stopped, by reason",
            ["reason"],
            registry=self.registry,
        )
        self.planning = Histogram(
            "kubesweep_planning_duration_seconds",
            "One planning tick of one sweep: reads, plan, writes",
            registry=self.registry,
        )
        self.suggestion = Histogram(
            "kubesweep_suggestion_duration_seconds",
            "The planner alone: samplers and early-termination policies",
            buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
            registry=self.registry,
        )
        self.query_errors = Counter(
            "kubesweep_prometheus_query_errors",
            "Failed reads of trial metrics",
            registry=self.registry,
        )
        self._lock = threading.Lock()
        self._known: dict[str, tuple[str, Mapping[str, Any]]] = {}
        for phase in SWEEP_PHASES:
            self.sweeps.labels(phase).set(0)
        for phase in TRIAL_FIELDS:
            self.trials.labels(phase).set(0)

    def serve(self, port: int, address: str = "0.0.0.0") -> None:
        start_http_server(port, addr=address, registry=self.registry)

    def observe_sweep(self, uid: str, status: Mapping[str, Any] | None) -> None:
        """A SweepJob as last seen (None: deleted)."""
        with self._lock:
            if status is None:
                self._known.pop(uid, None)
            else:
                self._known[uid] = (
                    str(status.get("phase") or "Pending"),
                    status.get("trials") or {},
                )
            for phase in SWEEP_PHASES:
                self.sweeps.labels(phase).set(sum(1 for p, _ in self._known.values() if p == phase))
            for phase, field in TRIAL_FIELDS.items():
                self.trials.labels(phase).set(
                    sum(int(counts.get(field) or 0) for _, counts in self._known.values())
                )
