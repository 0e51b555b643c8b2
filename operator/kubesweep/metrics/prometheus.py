"""Trial metrics from the Prometheus HTTP API.

``kubesweep.trial`` exposes every reported step as ``kubesweep_trial_metric{sweep_namespace,
sweep, trial, metric, step}``, so one instant query returns the curves of every trial of a
sweep, whatever target labels the scrape configuration adds.
``last_over_time`` bridges missed scrapes and keeps a finished trial's curve for a while
after its pod is gone. Label values are escaped, so a name can never change the query.
"""

from __future__ import annotations

import json
import math
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict

LOOKBACK = "15m"


class MetricsUnavailableError(RuntimeError):
    """Prometheus could not be asked, or did not answer well."""


def escape_label_value(value: str) -> str:
    """A PromQL string literal's content: backslash, double quote and newline escaped."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def sweep_metric_query(namespace: str, sweep: str, metric: str) -> str:
    """The query for every trial's curve of ``metric`` in one sweep."""
    selector = ", ".join(
        f'{label}="{escape_label_value(value)}"'
        for label, value in (("sweep_namespace", namespace), ("sweep", sweep), ("metric", metric))
    )
    return f"last_over_time(kubesweep_trial_metric{{{selector}}}[{LOOKBACK}])"


def parse_curves(body: dict[str, object]) -> dict[str, list[tuple[int, float]]]:
    """trial name -> [(step, value)] sorted by step, from a query response."""
    if body.get("status") != "success":
        raise MetricsUnavailableError(f"Prometheus answered {body.get('error') or body}")
    data = body.get("data")
    if not isinstance(data, dict):
        raise MetricsUnavailableError("Prometheus answered without data")
    curves: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for series in data.get("result") or []:
        labels = series.get("metric") or {}
        try:
            step = int(labels["step"])
            value = float(series["value"][1])
        except (KeyError, ValueError, IndexError, TypeError):
            continue
        if math.isfinite(value) and "trial" in labels:
            curves[labels["trial"]].append((step, value))
    return {trial: sorted(points) for trial, points in curves.items()}


def query_curves(
    url: str, namespace: str, sweep: str, metric: str, timeout: float = 5.0
) -> dict[str, list[tuple[int, float]]]:
    """Every trial's curve of ``metric``; MetricsUnavailableError when Prometheus fails."""
    query = sweep_metric_query(namespace, sweep, metric)
    address = f"{url.rstrip('/')}/api/v1/query?" + urllib.parse.urlencode({"query": query})
    try:
        with urllib.request.urlopen(address, timeout=timeout) as response:
            body = json.load(response)
    except (OSError, ValueError, urllib.error.URLError) as error:
        raise MetricsUnavailableError(f"cannot query Prometheus at {url}: {error}") from None
    return parse_curves(body)
