"""Median stopping: stop a trial whose best metric is worse than the median of the running
averages of the other trials.

At evaluation step ``s``, each other trial that reported up to ``s`` contributes the mean of
its reports at steps ``<= s`` (its running average); the trial is stopped when its best value
up to ``s`` is worse than the median of those averages. It is a true median (the middle
value, or the mean of the two middle values), not a mean of means. With no other trial at
``s`` there is nothing to compare and the trial goes on.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field

from kubesweep.domain.policies._base import (
    EvaluationSchedule,
    StopDecision,
    judged_point,
    others_at,
)
from kubesweep.domain.trials import Objective, TrialRecord


def _median(values: list[float]) -> float:
    """statistics.median, whose mean of the two middle values overflows past about 9e307."""
    median = statistics.median(values)
    if math.isfinite(median):
        return median
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle - 1] / 2 + ordered[middle] / 2


@dataclass(frozen=True)
class MedianStoppingPolicy:
    schedule: EvaluationSchedule = field(default_factory=EvaluationSchedule)
    name: str = "median_stopping"

    def evaluate(
        self, trial: TrialRecord, trials: Sequence[TrialRecord], objective: Objective
    ) -> StopDecision | None:
        own = judged_point(self.schedule, trial, objective)
        if own is None:
            return None
        step = own.step
        averages = [
            average
            for other in others_at(trial, trials, step)
            if (average := other.running_average_until(step)) is not None
        ]
        if not averages:
            return None
        median = _median(averages)
        if not objective.better(median, own.value):
            return None
        return StopDecision(
            policy=self.name,
            step=step,
            message=(
                f"at step {step}, best {objective.primary_metric} {own.value:.6g} is worse than "
                f"the median {median:.6g} of the running averages of {len(averages)} other "
                "trials"
            ),
            details={"value": own.value, "median": median, "compared": float(len(averages))},
        )
