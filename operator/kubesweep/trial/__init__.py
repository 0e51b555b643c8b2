"""The library a training script imports to report its metrics to kubesweep.

    from kubesweep import trial

    params = trial.parameters()            # this trial's hyperparameters
    for epoch in range(1, epochs + 1):
        ...
        trial.report(step=epoch, accuracy=acc, loss=loss)

Inside a trial pod (the operator sets ``KUBESWEEP_*`` environment variables) ``report``
serves every reported value as the Prometheus gauge ``kubesweep_trial_metric`` with labels
``sweep_namespace``, ``sweep``, ``trial``, ``metric`` and ``step`` on the pod's IP and the
port named in the pod's ``prometheus.io/port`` annotation (``KUBESWEEP_METRICS_PORT``).
Every step stays exposed, so one scrape carries the whole curve and a missed scrape loses
nothing. At exit it writes the
last and best value of each metric, and the primary metric's curve (thinned to fit), as JSON
to the container's termination-message file (``KUBESWEEP_TERMINATION_MESSAGE_PATH``,
default ``/dev/termination-log``), so the final values survive even when Prometheus does
not. Outside Kubernetes (no ``KUBESWEEP_TRIAL``) it only prints.
"""

from __future__ import annotations

import atexit
import json
import math
import os
import sys
import threading
from typing import Any

TERMINATION_ENV = "KUBESWEEP_TERMINATION_MESSAGE_PATH"
DEFAULT_TERMINATION_PATH = "/dev/termination-log"
MAX_MESSAGE_BYTES = 4096
MAX_EXPOSED_STEPS = 2000
"""Steps kept per metric in the exposition; older ones are dropped (the summary keeps the
best and the last)."""

__all__ = ["parameters", "report"]


def parameters() -> dict[str, Any]:
    """This trial's parameters (``KUBESWEEP_PARAMETERS``); empty outside a trial."""
    parsed: dict[str, Any] = json.loads(os.environ.get("KUBESWEEP_PARAMETERS", "{}"))
    return parsed


class _Reporter:
    def __init__(self) -> None:
        self.sweep = os.environ.get("KUBESWEEP_SWEEP", "")
        self.namespace = os.environ.get("KUBESWEEP_NAMESPACE", "")
        self.trial = os.environ.get("KUBESWEEP_TRIAL", "")
        self.primary = os.environ.get("KUBESWEEP_PRIMARY_METRIC", "")
        self.minimize = os.environ.get("KUBESWEEP_GOAL", "maximize") == "minimize"
        self.history: dict[str, list[tuple[int, float]]] = {}
        self.lock = threading.Lock()
        self.gauge: Any = None
        if self.trial:
            self._serve()
        atexit.register(self.write_summary)

    def _serve(self) -> None:
        port = os.environ.get("KUBESWEEP_METRICS_PORT")
        if not port:
            return
        from prometheus_client import CollectorRegistry, Gauge, start_http_server

        registry = CollectorRegistry()
        self.gauge = Gauge(
            "kubesweep_trial_metric",
            "A metric a kubesweep trial reported, by step",
            ["sweep_namespace", "sweep", "trial", "metric", "step"],
            registry=registry,
        )
        start_http_server(
            int(port), addr=os.environ.get("KUBESWEEP_POD_IP", "0.0.0.0"), registry=registry
        )

    def report(self, step: int, metrics: dict[str, float]) -> None:
        with self.lock:
            for name, value in metrics.items():
                points = self.history.setdefault(name, [])
                points.append((step, value))
                if self.gauge is not None:
                    labels = (self.namespace, self.sweep, self.trial, name)
                    self.gauge.labels(*labels, str(step)).set(value)
                    if len(points) > MAX_EXPOSED_STEPS:
                        old_step = points[-MAX_EXPOSED_STEPS - 1][0]
                        self.gauge.remove(*labels, str(old_step))
        shown = ", ".join(f"{k}={v:.6g}" for k, v in metrics.items())
        print(f"[kubesweep] step {step}: {shown}", file=sys.stderr, flush=True)

    def _better(self, a: float, b: float) -> bool:
        return a < b if self.minimize else a > b

    def summary(self) -> dict[str, Any]:
        metrics: dict[str, Any] = {}
        with self.lock:
            for name, points in self.history.items():
                finite = [(s, v) for s, v in points if math.isfinite(v)]
                if not finite:
                    continue
                best = finite[0]
                for point in finite[1:]:
                    if self._better(point[1], best[1]):
                        best = point
                last = finite[-1]
                metrics[name] = {
                    "last": last[1],
                    "lastStep": last[0],
                    "best": best[1],
                    "bestStep": best[0],
                }
            curve = [p for p in self.history.get(self.primary, []) if math.isfinite(p[1])]
        document: dict[str, Any] = {"metrics": metrics, "curve": [list(p) for p in curve]}
        while len(json.dumps(document)) > MAX_MESSAGE_BYTES and document["curve"]:
            kept = document["curve"]
            # Thin the curve evenly, always keeping its last point.
            document["curve"] = [*kept[-2::-2][::-1], kept[-1]] if len(kept) > 2 else []
        return document

    def write_summary(self) -> None:
        if not self.trial:
            return
        path = os.environ.get(TERMINATION_ENV, DEFAULT_TERMINATION_PATH)
        try:
            with open(path, "w", encoding="utf-8") as handle:
                json.dump(self.summary(), handle)
        except OSError as error:
            print(f"[kubesweep] cannot write {path}: {error}", file=sys.stderr)


_reporter: _Reporter | None = None
_reporter_lock = threading.Lock()


def report(step: int | None = None, **metrics: float) -> None:
    """Report metric values at ``step`` (default: one more than the last reported step)."""
    global _reporter  # noqa: PLW0603 - one reporter per process
    with _reporter_lock:
        if _reporter is None:
            _reporter = _Reporter()
    if step is None:
        step = 1 + max((p[-1][0] for p in _reporter.history.values() if p), default=0)
    if isinstance(step, bool) or not isinstance(step, int) or step < 0:
        raise ValueError(f"step must be a whole number of at least 0, but got {step!r}")
    values = {}
    for name, value in metrics.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError(f"metric {name!r} must be a number, but got {value!r}")
        values[name] = float(value)
    _reporter.report(step, values)
