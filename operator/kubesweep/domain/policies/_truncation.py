"""Truncation selection: stop a trial that is among the lowest ``truncationPercentage``
percent of trials at an evaluation step.

At evaluation step ``s`` the pool is every trial that reported up to ``s`` (finished trials
left out when ``excludeFinishedJobs`` is set), each scored by its best value up to ``s``.
With ``n`` trials in the pool, ``k = floor(n * truncationPercentage / 100)`` of them are cut:
the trial is stopped when at least ``n - k`` trials are strictly better than it. Ties are
never broken against a trial, so equal trials stand or fall together.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from kubesweep.domain.errors import SpecError
from kubesweep.domain.policies._base import (
    EvaluationSchedule,
    StopDecision,
    judged_point,
    others_at,
)
from kubesweep.domain.trials import Objective, TrialRecord


@dataclass(frozen=True)
class TruncationSelectionPolicy:
    truncation_percentage: int
    schedule: EvaluationSchedule = field(default_factory=EvaluationSchedule)
    exclude_finished_jobs: bool = False
    name: str = "truncation_selection"

    def __post_init__(self) -> None:
        value = self.truncation_percentage
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 99:
            raise SpecError(
                "truncationPercentage", f"must be an integer from 1 to 99, but got {value!r}"
            )

    def evaluate(
        self, trial: TrialRecord, trials: Sequence[TrialRecord], objective: Objective
    ) -> StopDecision | None:
        own = judged_point(self.schedule, trial, objective)
        if own is None:
            return None
        step = own.step
        values = [own.value]
        for other in others_at(trial, trials, step):
            if self.exclude_finished_jobs and not other.phase.active:
                continue
            point = other.best_until(step, objective)
            if point is not None:
                values.append(point.value)
        pool = len(values)
        cut = math.floor(pool * self.truncation_percentage / 100)
        better = sum(1 for value in values if objective.better(value, own.value))
        if cut == 0 or better < pool - cut:
            return None
        return StopDecision(
            policy=self.name,
            step=step,
            message=(
                f"at step {step}, best {objective.primary_metric} {own.value:.6g} is in the "
                f"lowest {self.truncation_percentage}% ({cut} of {pool} trials; {better} are "
                "better)"
            ),
            details={"value": own.value, "pool": float(pool), "cut": float(cut)},
        )
