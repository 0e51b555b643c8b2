"""The operator's settings, from flags and ``KUBESWEEP_*`` environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class OperatorSettings:
    prometheus_url: str | None = None
    """Default Prometheus for sweeps that name none (KUBESWEEP_PROMETHEUS_URL)."""

    poll_interval: float = 2.0
    """Seconds between two plans of a running sweep (KUBESWEEP_POLL_INTERVAL)."""

    metrics_grace: float = 30.0
    """Seconds a finished trial may take to show its primary metric before it is
    MetricsUnavailable (KUBESWEEP_METRICS_GRACE)."""

    metrics_port: int | None = None
    """Serve the operator's own metrics on this port (KUBESWEEP_OPERATOR_METRICS_PORT)."""

    @classmethod
    def from_environment(
        cls, prometheus_url: str | None = None, metrics_port: int | None = None
    ) -> OperatorSettings:
        port = metrics_port or os.environ.get("KUBESWEEP_OPERATOR_METRICS_PORT")
        return cls(
            metrics_port=int(port) if port else None,
            prometheus_url=prometheus_url or os.environ.get("KUBESWEEP_PROMETHEUS_URL") or None,
            poll_interval=float(os.environ.get("KUBESWEEP_POLL_INTERVAL", "2")),
            metrics_grace=float(os.environ.get("KUBESWEEP_METRICS_GRACE", "30")),
        )
