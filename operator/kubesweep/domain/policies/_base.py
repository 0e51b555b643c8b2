"""What every early-termination policy shares: when it looks, and what it answers.

A policy is evaluated for one running trial at that trial's latest *evaluation step*: the
largest step it has reported that is a multiple of ``evaluation_interval`` and at least
``delay_evaluation``. It compares the trial with what every trial had reached by that same
step, so a trial is never judged against curves that trained longer than it. The answer is
a ``StopDecision`` that carries the numbers behind it, or None to let the trial go on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from kubesweep.domain.errors import SpecError
from kubesweep.domain.trials import MetricPoint, Objective, TrialRecord


@dataclass(frozen=True)
class StopDecision:
    """A policy's verdict on one trial, with the figures that decided it."""

    policy: str
    step: int
    message: str
    details: Mapping[str, float] = field(default_factory=dict)


class EarlyTerminationPolicy(Protocol):
    @property
    def name(self) -> str:
        """The policy's ``type`` in the SweepJob (``bandit``, ``median_stopping``, ...)."""
        ...

    def evaluate(
        self, trial: TrialRecord, trials: Sequence[TrialRecord], objective: Objective
    ) -> StopDecision | None:
        """Stop ``trial`` (one of ``trials``)? ``trials`` is every trial of the sweep."""
        ...


@dataclass(frozen=True)
class EvaluationSchedule:
    """When a policy looks: every ``interval`` steps, from step ``delay`` on."""

    interval: int = 1
    delay: int = 0

    def __post_init__(self) -> None:
        if isinstance(self.interval, bool) or self.interval < 1:
            raise SpecError(
                "evaluationInterval", f"must be an integer of at least 1, but got {self.interval}"
            )
        if isinstance(self.delay, bool) or self.delay < 0:
            raise SpecError(
                "delayEvaluation", f"must be an integer of at least 0, but got {self.delay}"
            )

    def latest_evaluation_step(self, latest_step: int) -> int | None:
        """The last step at or before ``latest_step`` at which the policy looks."""
        step = latest_step - latest_step % self.interval
        if step < 1 or step < self.delay:
            return None
        return step


def judged_point(
    schedule: EvaluationSchedule, trial: TrialRecord, objective: Objective
) -> MetricPoint | None:
    """The trial's best report up to its latest evaluation step, or None when the policy
    does not look now (before the delay, between intervals, or nothing reported).
    ``MetricPoint.step`` of the answer is the evaluation step, not the report's."""
    step = schedule.latest_evaluation_step(trial.latest_step)
    if step is None:
        return None
    own = trial.best_until(step, objective)
    return None if own is None else MetricPoint(step, own.value)


def others_at(trial: TrialRecord, trials: Sequence[TrialRecord], step: int) -> list[TrialRecord]:
    """The other trials that had reported up to ``step``: those a comparison at ``step`` uses."""
    return [t for t in trials if t.index != trial.index and t.latest_step >= step]
