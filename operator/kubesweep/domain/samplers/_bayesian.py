"""Bayesian sampling, for now its initial design only.

The name and its admission rules (choice, uniform and quniform parameters; no early
termination) are part of the API today. Until the model-based search lands, every trial is
drawn from the scrambled Sobol design that will seed the model, so a sweep written for it
runs today and improves later without changing its manifest.
"""

from __future__ import annotations

from collections.abc import Sequence

from kubesweep.domain.errors import SpecError
from kubesweep.domain.samplers._random import SobolSampler
from kubesweep.domain.space import Choice, ParameterValue, QUniform, SearchSpace, Uniform
from kubesweep.domain.trials import TrialRecord

ADMITTED = (Choice, Uniform, QUniform)
"""The distributions Azure ML admits for Bayesian sampling."""


class BayesianSampler:
    def __init__(self, space: SearchSpace, *, seed: int) -> None:
        for name, distribution in space:
            if not isinstance(distribution, ADMITTED):
                raise SpecError(
                    f"{name}.type",
                    f"bayesian sampling accepts parameters of type choice, uniform or "
                    f"quniform, but {name!r} is {distribution.type_name}",
                )
        self._initial_design = SobolSampler(space, seed=seed)

    @property
    def size(self) -> None:
        return None

    def suggest(
        self, index: int, history: Sequence[TrialRecord]
    ) -> dict[str, ParameterValue] | None:
        return self._initial_design.suggest(index, history)
