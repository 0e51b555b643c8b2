"""Bandit: stop a trial whose best metric is not within a slack of the best trial's.

At evaluation step ``s`` the reference is the best value any trial reported up to ``s``,
and the trial's own value is its best up to ``s``.

Maximize (Azure ML's rule): with ``slackFactor`` the trial is stopped when its value is
below ``best / (1 + slackFactor)`` — best 0.8 with slack factor 0.2 gives a threshold of
0.667; with ``slackAmount`` when it is below ``best - slackAmount``.

Minimize (ours; Azure ML does not document it): the same ratio the other way round — the
trial is stopped when its value is above ``best * (1 + slackFactor)`` (best loss 0.5 with
slack factor 0.2 gives 0.6), or above ``best + slackAmount``.

The ratio rules are written for positive metrics; for a negative best they are applied to
its magnitude (maximize: ``best - |best| * f / (1 + f)``; minimize: ``best + |best| * f``),
so the best trial itself is never stopped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from kubesweep.domain.errors import SpecError
from kubesweep.domain.policies._base import EvaluationSchedule, StopDecision, judged_point
from kubesweep.domain.trials import Goal, Objective, TrialRecord


def bandit_threshold(
    best: float, goal: Goal, *, slack_factor: float | None, slack_amount: float | None
) -> float:
    """The worst value a trial may have and go on, given the best value so far."""
    if slack_factor is not None:
        if goal is Goal.MAXIMIZE:
            return best - abs(best) * slack_factor / (1 + slack_factor)
        return best + abs(best) * slack_factor
    assert slack_amount is not None
    return best - slack_amount if goal is Goal.MAXIMIZE else best + slack_amount


@dataclass(frozen=True)
class BanditPolicy:
    schedule: EvaluationSchedule = field(default_factory=EvaluationSchedule)
    slack_factor: float | None = None
    slack_amount: float | None = None
    name: str = "bandit"

    def __post_init__(self) -> None:
        if (self.slack_factor is None) == (self.slack_amount is None):
            raise SpecError(
                "slackFactor",
                "a bandit policy needs exactly one of slackFactor or slackAmount, but got "
                + ("both" if self.slack_factor is not None else "neither"),
            )
        for field_name, value in (
            ("slackFactor", self.slack_factor),
            ("slackAmount", self.slack_amount),
        ):
            if value is not None and not value > 0:
                raise SpecError(field_name, f"must be greater than 0, but got {value}")

    def evaluate(
        self, trial: TrialRecord, trials: Sequence[TrialRecord], objective: Objective
    ) -> StopDecision | None:
        own = judged_point(self.schedule, trial, objective)
        if own is None:
            return None
        step = own.step
        best = own.value
        for other in trials:
            point = other.best_until(step, objective)
            if point is not None and objective.better(point.value, best):
                best = point.value
        threshold = bandit_threshold(
            best, objective.goal, slack_factor=self.slack_factor, slack_amount=self.slack_amount
        )
        if not objective.better(threshold, own.value):
            return None
        slack = (
            f"slackFactor {self.slack_factor}"
            if self.slack_factor is not None
            else f"slackAmount {self.slack_amount}"
        )
        return StopDecision(
            policy=self.name,
            step=step,
            message=(
                f"at step {step}, best {objective.primary_metric} {own.value:.6g} is worse than "
                f"the bandit threshold {threshold:.6g} (best value by then {best:.6g}, {slack})"
            ),
            details={"value": own.value, "best": best, "threshold": threshold},
        )
