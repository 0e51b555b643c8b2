"""Samplers: which parameter set trial ``index`` gets.

Every sampler is deterministic given its seed and the observed history, and answers for a
trial index rather than "the next trial", so the operator can rebuild its decisions after a
restart and never hands two trials the same index. ``suggest`` returns None once the sampler
is exhausted (only grid sampling ever is).

Implementations live in private modules; ``make_sampler`` builds one from a
``SamplingConfig``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from kubesweep.domain.samplers._bayesian import BayesianSampler
from kubesweep.domain.samplers._grid import GridSampler
from kubesweep.domain.samplers._random import RandomSampler, SobolSampler
from kubesweep.domain.space import ParameterValue, SearchSpace
from kubesweep.domain.trials import Objective, TrialRecord

__all__ = [
    "BayesianSampler",
    "GridSampler",
    "RandomSampler",
    "Sampler",
    "SamplingConfig",
    "SamplingRule",
    "SamplingType",
    "SobolSampler",
    "make_sampler",
]


class SamplingType(StrEnum):
    GRID = "grid"
    RANDOM = "random"
    BAYESIAN = "bayesian"


class SamplingRule(StrEnum):
    RANDOM = "random"
    SOBOL = "sobol"


@dataclass(frozen=True)
class SamplingConfig:
    type: SamplingType
    rule: SamplingRule = SamplingRule.RANDOM
    seed: int = 0


class Sampler(Protocol):
    """The small surface every sampler offers."""

    @property
    def size(self) -> int | None:
        """How many distinct trials the sampler can propose; None when unbounded."""
        ...

    def suggest(
        self, index: int, history: Sequence[TrialRecord]
    ) -> dict[str, ParameterValue] | None:
        """Parameters for trial ``index`` (0-based), or None when exhausted."""
        ...


def make_sampler(
    config: SamplingConfig, space: SearchSpace, objective: Objective | None = None
) -> Sampler:
    """The sampler a SweepJob's ``samplingAlgorithm`` asks for."""
    if config.type is SamplingType.GRID:
        return GridSampler(space)
    if config.type is SamplingType.BAYESIAN:
        return BayesianSampler(space, seed=config.seed, objective=objective)
    if config.rule is SamplingRule.SOBOL:
        return SobolSampler(space, seed=config.seed)
    return RandomSampler(space, seed=config.seed)
