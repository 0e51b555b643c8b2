"""Grid sampling: every combination of the choice values, in listed order.

Trial ``index`` decodes as a mixed-radix number whose last digit is the last parameter, so
the last parameter varies fastest. The grid is exhausted after ``size`` trials. Only
``choice`` parameters have a grid; the API layer rejects anything else before we get here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from kubesweep.domain.errors import SpecError
from kubesweep.domain.space import Choice, ParameterValue, SearchSpace
from kubesweep.domain.trials import TrialRecord


class GridSampler:
    def __init__(self, space: SearchSpace) -> None:
        axes: list[tuple[str, tuple[ParameterValue, ...]]] = []
        for name, distribution in space:
            if not isinstance(distribution, Choice):
                raise SpecError(
                    f"{name}.type",
                    f"grid sampling needs every parameter to be of type choice, but {name!r} "
                    f"is {distribution.type_name}",
                )
            axes.append((name, distribution.values))
        self._axes = tuple(axes)

    @property
    def size(self) -> int:
        return math.prod(len(values) for _, values in self._axes)

    def suggest(
        self, index: int, history: Sequence[TrialRecord]
    ) -> dict[str, ParameterValue] | None:
        if index < 0 or index >= self.size:
            return None
        parameters: dict[str, ParameterValue] = {}
        remainder = index
        for name, values in reversed(self._axes):
            remainder, position = divmod(remainder, len(values))
            parameters[name] = values[position]
        return {name: parameters[name] for name, _ in self._axes}
