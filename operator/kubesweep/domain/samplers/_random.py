"""Random sampling: pseudo-random (``rule: random``) and scrambled Sobol (``rule: sobol``).

Both draw a point of the unit cube for each trial and map it through the distributions.
The point of trial ``index`` depends only on the seed and the index, never on what was
suggested before, so a restarted operator proposes exactly what it would have.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.stats import qmc

from kubesweep.domain.space import ParameterValue, SearchSpace
from kubesweep.domain.trials import TrialRecord


class _UnitCubeSampler:
    """A sampler that draws trial ``index``'s point of the unit cube and maps it through
    the distributions; subclasses say how the point is drawn."""

    def __init__(self, space: SearchSpace, *, seed: int) -> None:
        self._space = space
        self._seed = seed

    @property
    def size(self) -> None:
        return None

    def unit_point(self, index: int) -> np.ndarray:
        raise NotImplementedError

    def suggest(
        self, index: int, history: Sequence[TrialRecord]
    ) -> dict[str, ParameterValue] | None:
        return self._space.from_unit(self.unit_point(index).tolist())


class RandomSampler(_UnitCubeSampler):
    """Independent uniform points, from a generator seeded by (seed, index)."""

    def unit_point(self, index: int) -> np.ndarray:
        generator = np.random.default_rng([abs(self._seed), int(self._seed < 0), index])
        return generator.random(self._space.dimensions)


class SobolSampler(_UnitCubeSampler):
    """Scrambled Sobol points (Owen scrambling, seeded), in sequence order.

    The first ``2**k`` points are balanced: in each parameter's unit interval, every one of
    ``2**k`` equal slices holds exactly one point.
    """

    def unit_points(self, count: int) -> np.ndarray:
        """The first ``count`` points of the sequence."""
        engine = qmc.Sobol(d=self._space.dimensions, scramble=True, seed=self._seed)
        return engine.random(count)

    def unit_point(self, index: int) -> np.ndarray:
        engine = qmc.Sobol(d=self._space.dimensions, scramble=True, seed=self._seed)
        if index > 0:
            engine.fast_forward(index)
        point: np.ndarray = engine.random(1)[0]
        return point
