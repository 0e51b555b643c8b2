"""Early-termination policies: pure functions of an immutable trial history.

Each policy answers, for one running trial, whether to stop it now (``evaluate``); see
``_base`` for when a policy looks and what it compares. ``make_policy`` builds one from a
``PolicyConfig``; ``NoPolicy`` never stops anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from kubesweep.domain.errors import SpecError
from kubesweep.domain.policies._asha import AshaPolicy, HyperbandPolicy
from kubesweep.domain.policies._bandit import BanditPolicy, bandit_threshold
from kubesweep.domain.policies._base import (
    EarlyTerminationPolicy,
    EvaluationSchedule,
    StopDecision,
)
from kubesweep.domain.policies._median import MedianStoppingPolicy
from kubesweep.domain.policies._truncation import TruncationSelectionPolicy
from kubesweep.domain.trials import Objective, TrialRecord

__all__ = [
    "AshaPolicy",
    "BanditPolicy",
    "EarlyTerminationPolicy",
    "EvaluationSchedule",
    "HyperbandPolicy",
    "MedianStoppingPolicy",
    "NoPolicy",
    "PolicyConfig",
    "PolicyType",
    "StopDecision",
    "TruncationSelectionPolicy",
    "bandit_threshold",
    "make_policy",
]


class PolicyType(StrEnum):
    BANDIT = "bandit"
    MEDIAN_STOPPING = "median_stopping"
    TRUNCATION_SELECTION = "truncation_selection"
    ASHA = "asha"
    HYPERBAND = "hyperband"


@dataclass(frozen=True)
class NoPolicy:
    """No early termination: every trial runs to its end."""

    name: str = "none"

    def evaluate(
        self, trial: TrialRecord, trials: Sequence[TrialRecord], objective: Objective
    ) -> StopDecision | None:
        return None


@dataclass(frozen=True)
class PolicyConfig:
    type: PolicyType
    evaluation_interval: int = 1
    delay_evaluation: int = 0
    slack_factor: float | None = None
    slack_amount: float | None = None
    truncation_percentage: int | None = None
    exclude_finished_jobs: bool = False
    min_resource: int = 1
    max_resource: int | None = None
    reduction_factor: int = 3
    min_early_stopping_rate: int = 0


def make_policy(config: PolicyConfig | None) -> EarlyTerminationPolicy:
    """The policy a SweepJob's ``earlyTermination`` asks for (None: no policy)."""
    if config is None:
        return NoPolicy()
    schedule = EvaluationSchedule(config.evaluation_interval, config.delay_evaluation)
    if config.type is PolicyType.BANDIT:
        return BanditPolicy(schedule, config.slack_factor, config.slack_amount)
    if config.type is PolicyType.MEDIAN_STOPPING:
        return MedianStoppingPolicy(schedule)
    if config.type is PolicyType.ASHA:
        return AshaPolicy(
            config.min_resource,
            config.reduction_factor,
            config.min_early_stopping_rate,
            max_resource=config.max_resource,
        )
    if config.type is PolicyType.HYPERBAND:
        if config.max_resource is None:
            raise SpecError("maxResource", "is required for hyperband")
        return HyperbandPolicy(config.max_resource, config.min_resource, config.reduction_factor)
    if config.truncation_percentage is None:
        raise SpecError("truncationPercentage", "is required for truncation_selection")
    return TruncationSelectionPolicy(
        config.truncation_percentage, schedule, config.exclude_finished_jobs
    )
