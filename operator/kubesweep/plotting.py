"""``kubesweep plot``: a sweep's curves, hyperparameters and progress in one figure.

Three panels: the primary metric per step for every trial (trials the policy stopped are
dashed and end in a cross, so they visibly stop short), a parallel-coordinates view of the
hyperparameters coloured by each trial's best metric, and the best-so-far curve over
trials. Curves come from Prometheus when it answers, otherwise from the curves kept in the
SweepTrials. matplotlib is needed only here (``pip install 'kubesweep[plot]'``).
"""

from __future__ import annotations

import base64
import html
import io
import math
from collections.abc import Mapping, Sequence
from typing import Any

Curves = Mapping[str, Sequence[tuple[int, float]]]


LOG_TYPES = ("loguniform", "qloguniform", "lognormal", "qlognormal")


def _numeric(values: Sequence[Any], log: bool = False) -> list[float]:
    """Parameter values on one axis: numbers as they are (log10 for log-scale types, when
    all are positive), other values by their rank."""
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        if log and all(v > 0 for v in values):
            return [math.log10(v) for v in values]
        return [float(v) for v in values]
    order = {v: i for i, v in enumerate(sorted({str(v) for v in values}))}
    return [float(order[str(v)]) for v in values]


def best_so_far(bests: Sequence[float | None], minimize: bool) -> list[float]:
    """The best value reached by each trial index (NaN until a trial reports one)."""
    running: list[float] = []
    for best in bests:
        previous = running[-1] if running else math.nan
        if best is None or not math.isfinite(best):
            running.append(previous)
        elif math.isnan(previous):
            running.append(best)
        else:
            running.append(min(previous, best) if minimize else max(previous, best))
    return running


def render_png(
    sweep: Mapping[str, Any], trials: Sequence[Mapping[str, Any]], curves: Curves
) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import colormaps

    objective = sweep["spec"]["objective"]
    metric, minimize = objective["primaryMetric"], objective["goal"] == "minimize"
    ordered = sorted(trials, key=lambda t: t["spec"]["index"])
    figure, (curve_axes, parallel_axes, best_axes) = plt.subplots(
        1, 3, figsize=(16, 5), gridspec_kw={"width_ratios": [1.2, 1.2, 1]}
    )
    figure.suptitle(f"SweepJob {sweep['metadata']['name']}: {metric} ({objective['goal']})")

    bests = [((t.get("status") or {}).get("metric") or {}).get("best") for t in ordered]
    finite = [b for b in bests if b is not None and math.isfinite(b)]
    low, high = (min(finite), max(finite)) if finite else (0.0, 1.0)
    cmap = colormaps["viridis_r" if minimize else "viridis"]

    def colour(value: float | None) -> Any:
        if value is None or not math.isfinite(value):
            return "lightgrey"
        return cmap(0.5 if high == low else (value - low) / (high - low))

    for trial, best in zip(ordered, bests, strict=True):
        name = trial["metadata"]["name"]
        points = list(
            curves.get(name) or ((trial.get("status") or {}).get("metric") or {}).get("curve") or []
        )
        if not points:
            continue
        steps = [p[0] for p in points]
        values = [p[1] for p in points]
        stopped = (trial.get("status") or {}).get("phase") == "EarlyTerminated"
        curve_axes.plot(
            steps, values, linestyle="--" if stopped else "-", color=colour(best), lw=1.2
        )
        if stopped:
            curve_axes.plot(steps[-1], values[-1], marker="x", color="crimson", markersize=8)
    curve_axes.set(xlabel="step", ylabel=metric, title="per step (dashed, x: stopped early)")

    names = list(sweep["spec"]["searchSpace"])
    if names and ordered:
        space = sweep["spec"]["searchSpace"]
        columns = [
            _numeric(
                [t["spec"]["parameters"].get(n) for t in ordered],
                log=space[n].get("type") in LOG_TYPES,
            )
            for n in names
        ]
        scaled = []
        for column in columns:
            lo, hi = min(column), max(column)
            scaled.append([0.5 if hi == lo else (v - lo) / (hi - lo) for v in column])
        for row, best in enumerate(bests):
            parallel_axes.plot(
                range(len(names)), [scaled[c][row] for c in range(len(names))],
                color=colour(best), alpha=0.8, lw=1.2,
            )  # fmt: skip
        labels = [f"log10 {n}" if space[n].get("type") in LOG_TYPES else n for n in names]
        parallel_axes.set_xticks(range(len(names)), labels, rotation=20)
    parallel_axes.set(ylabel="scaled value", title="hyperparameters (colour: best metric)")

    running = best_so_far(bests, minimize)
    best_axes.plot(range(len(running)), running, marker="o", color="tab:blue")
    best_axes.set(xlabel="trial index", ylabel=f"best {metric} so far", title="best so far")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    plt.close(figure)
    return buffer.getvalue()


def render_html(
    sweep: Mapping[str, Any],
    trials: Sequence[Mapping[str, Any]],
    curves: Curves,
    leaderboard: Sequence[Mapping[str, str]],
) -> str:
    png = base64.b64encode(render_png(sweep, trials, curves)).decode()
    name = html.escape(sweep["metadata"]["name"])
    headers = list(leaderboard[0]) if leaderboard else []
    rows = "".join(
        "<tr>" + "".join(f"<td>{html.escape(row[h])}</td>" for h in headers) + "</tr>"
        for row in leaderboard
    )
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{name}</title>"
        "<style>body{font-family:sans-serif} td,th{padding:2px 8px;text-align:left}</style>"
        f"</head><body><h1>SweepJob {name}</h1>"
        f"<img alt='curves of {name}' src='data:image/png;base64,{png}'>"
        f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></body></html>\n"
    )
