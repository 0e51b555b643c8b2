"""Immutable trial records: what the planner, samplers and policies read.

A ``TrialRecord`` is a plain snapshot of one trial (its index, parameters, phase and the
primary metric's history by step). The operator builds them from SweepTrial objects and
Prometheus; the simulator builds them from a Python function. Nothing here does I/O.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TypeVar, cast

from kubesweep.domain.space import Parameters

_T = TypeVar("_T")


class Goal(StrEnum):
    MAXIMIZE = "maximize"
    MINIMIZE = "minimize"


class TrialPhase(StrEnum):
    """The phases of a trial. Pending (created, not yet running) is distinct from Running."""

    PENDING = "Pending"
    RUNNING = "Running"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    EARLY_TERMINATED = "EarlyTerminated"
    METRICS_UNAVAILABLE = "MetricsUnavailable"

    @property
    def active(self) -> bool:
        """Still holds (or waits for) a slot of maxConcurrentTrials."""
        return self in (TrialPhase.PENDING, TrialPhase.RUNNING)

    @property
    def failed(self) -> bool:
        """Counts against maxFailedTrials: the trial gave no usable result."""
        return self in (TrialPhase.FAILED, TrialPhase.METRICS_UNAVAILABLE)


@dataclass(frozen=True)
class Objective:
    """The primary metric and whether bigger or smaller is better."""

    primary_metric: str
    goal: Goal

    def score(self, value: float) -> float:
        """The value on a scale where bigger is always better."""
        return value if self.goal is Goal.MAXIMIZE else -value

    def better(self, a: float, b: float) -> bool:
        """``a`` is strictly better than ``b``."""
        return self.score(a) > self.score(b)


@dataclass(frozen=True)
class MetricPoint:
    step: int
    value: float


@dataclass(frozen=True)
class TrialRecord:
    """One trial as the planner sees it. ``history`` holds primary-metric reports by step."""

    index: int
    parameters: Parameters
    phase: TrialPhase
    history: tuple[MetricPoint, ...] = ()
    started_at: float | None = None
    """When the trial started running (seconds on the caller's clock), None while Pending."""

    finished_at: float | None = None

    _memo: dict[tuple[object, ...], object] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    """Figures already computed from this (immutable) record: a planning step's policy asks
    for every other trial's best and mean once per running trial."""

    @classmethod
    def of(
        cls,
        index: int,
        parameters: Parameters,
        phase: TrialPhase,
        values: Iterable[float] = (),
        *,
        started_at: float | None = None,
        finished_at: float | None = None,
    ) -> TrialRecord:
        """A record whose history reports ``values`` at steps 1, 2, 3, ..."""
        history = tuple(MetricPoint(step, v) for step, v in enumerate(values, start=1))
        return cls(index, parameters, phase, history, started_at, finished_at)

    def _remembered(self, key: tuple[object, ...], compute: Callable[[], _T]) -> _T:
        """``compute()``, worked out once per ``key`` for this record."""
        if key in self._memo:
            return cast(_T, self._memo[key])
        value = compute()
        self._memo[key] = value
        return value

    @property
    def latest_step(self) -> int:
        return self._remembered(
            ("latest",), lambda: max((point.step for point in self.history), default=0)
        )

    def points_until(self, step: int) -> list[MetricPoint]:
        """Finite reports at steps up to and including ``step``."""
        return [p for p in self.history if p.step <= step and math.isfinite(p.value)]

    def best_until(self, step: int, objective: Objective) -> MetricPoint | None:
        """The best report at or before ``step``; the earliest one on ties."""
        return self._remembered(("best", step, objective), lambda: self._best(step, objective))

    def _best(self, step: int, objective: Objective) -> MetricPoint | None:
        best: MetricPoint | None = None
        for point in sorted(self.points_until(step), key=lambda p: p.step):
            if best is None or objective.better(point.value, best.value):
                best = point
        return best

    def best(self, objective: Objective) -> MetricPoint | None:
        """The trial's best report of the primary metric, if any."""
        return self.best_until(self.latest_step, objective)

    def running_average_until(self, step: int) -> float | None:
        """The mean of the reports at or before ``step`` (median stopping uses these)."""
        return self._remembered(("mean", step), lambda: self._mean(step))

    def _mean(self, step: int) -> float | None:
        points = self.points_until(step)
        if not points:
            return None
        total = sum(p.value for p in points)
        if not math.isfinite(total):  # the sum overflowed: the exact mean instead
            return float(statistics.mean(p.value for p in points))
        return total / len(points)
