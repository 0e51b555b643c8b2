"""ASHA (asynchronous successive halving) and Hyperband as early-termination policies.

ASHA: rungs stand at steps ``minResource * reductionFactor ** (minEarlyStoppingRate + k)``
for k = 0, 1, 2, ..., below ``maxResource`` if one is given. A running trial is judged at
the highest rung it has reached: among the ``n`` trials (running or finished, itself
included) that reached that rung before it, scored by their best value up to the rung's
step, it goes on only if fewer than ``max(1, floor(n / reductionFactor))`` trials are
strictly better; so roughly the top ``1 / reductionFactor`` go on, and the first trial to
reach a rung always does. "Before it" is the earlier trials (by index) and the later ones
already further past the rung: trials that arrive at the rung after it do not revisit its
promotion, as in ASHA. Nothing waits for a rung to fill: that is what makes it
asynchronous, and suited to trials that run concurrently.

Hyperband: ``B = floor(log_reductionFactor(maxResource / minResource)) + 1`` brackets,
bracket ``b`` running ASHA with ``minEarlyStoppingRate = b`` below the top rung
``minResource * reductionFactor ** (B - 1)`` (``maxResource`` itself where it is
``minResource`` times a power of ``reductionFactor``), so it halves ``B - 1 - b`` times and
the last bracket never. A trial that has run that many steps has had its budget: it is not
judged again, so one that reports its last step and is still writing its model is not cut
short (with ``maxResource`` 27 and 27 epochs, a rung at step 27 could stop up to two in
three of the trials it caught there, after all their training, and save no step). Early
brackets stop aggressively, late ones let trials run longer, which hedges against curves
that start slow. As in Hyperband (Li et al., 2018), a bracket gets trials in
proportion to ``ceil(B / (B - b) * reductionFactor ** (B - 1 - b))``, the number of
configurations the paper starts it with (27, 12, 6 and 4 for four brackets of factor 3),
so every bracket spends about the same compute. Trial ``index`` belongs to the bracket whose
share of [0, 1) holds ``frac(index * 0.618...)`` (the golden-ratio sequence), which spreads
the brackets evenly over the trials, so a short sweep visits all of them. A trial is compared
only with trials of its bracket.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache

from kubesweep.domain.errors import SpecError
from kubesweep.domain.policies._base import StopDecision
from kubesweep.domain.trials import Objective, TrialRecord


def _check(min_resource: int, reduction_factor: int) -> None:
    if isinstance(min_resource, bool) or min_resource < 1:
        raise SpecError("minResource", f"must be an integer of at least 1, but got {min_resource}")
    if isinstance(reduction_factor, bool) or reduction_factor < 2:
        raise SpecError(
            "reductionFactor", f"must be an integer of at least 2, but got {reduction_factor}"
        )


def _rung_decision(
    name: str,
    trial: TrialRecord,
    population: Sequence[TrialRecord],
    objective: Objective,
    min_resource: int,
    reduction_factor: int,
    rate: int,
    top: int | None = None,
) -> StopDecision | None:
    """The decision at the highest rung ``trial`` reached, among the rungs below ``top``
    (all of them where it is None)."""
    rungs = []
    k = 0
    limit = trial.latest_step if top is None else min(trial.latest_step, top - 1)
    while (step := min_resource * reduction_factor ** (rate + k)) <= limit:
        rungs.append(step)
        k += 1
    if not rungs:
        return None
    rung = rungs[-1]
    own = trial.best_until(rung, objective)
    if own is None:
        return None
    values = [own.value]
    for other in population:
        if other.index == trial.index or other.latest_step < rung:
            continue
        # ASHA decides when a trial reaches the rung, against those that reached it first:
        # earlier trials (by index), and later ones that are already further past it
        if other.index < trial.index or other.latest_step > trial.latest_step:
            point = other.best_until(rung, objective)
            if point is not None:
                values.append(point.value)
    keep = max(1, math.floor(len(values) / reduction_factor))
    better = sum(1 for value in values if objective.better(value, own.value))
    if better < keep:
        return None
    return StopDecision(
        policy=name,
        step=rung,
        message=(
            f"at rung step {rung}, best {objective.primary_metric} {own.value:.6g} is not in "
            f"the top {keep} of {len(values)} trials at that rung ({better} are better)"
        ),
        details={
            "value": own.value,
            "rung": float(rung),
            "keep": float(keep),
            "pool": float(len(values)),
        },
    )


_GOLDEN = (math.sqrt(5.0) - 1.0) / 2.0


@cache
def _bracket_bounds(brackets: int, reduction_factor: int) -> tuple[float, ...]:
    """The upper ends of the brackets' shares of [0, 1): bracket b's share is proportional
    to ``ceil(B / (B - b) * eta ** (B - 1 - b))``."""
    weights = [
        math.ceil(brackets / (brackets - b) * reduction_factor ** (brackets - 1 - b))
        for b in range(brackets)
    ]
    total = sum(weights)
    return tuple(sum(weights[: b + 1]) / total for b in range(brackets))


@lru_cache(maxsize=1 << 16)  # a planning step asks for every trial's, once per running trial
def _bracket(index: int, brackets: int, reduction_factor: int) -> int:
    # the golden-ratio (Kronecker) sequence spreads the indices evenly over [0, 1), so
    # every prefix of a sweep splits among the brackets close to their shares
    position = (index * _GOLDEN) % 1.0
    bounds = _bracket_bounds(brackets, reduction_factor)
    return next((b for b, bound in enumerate(bounds) if position < bound), len(bounds) - 1)


@dataclass(frozen=True)
class AshaPolicy:
    min_resource: int = 1
    reduction_factor: int = 3
    min_early_stopping_rate: int = 0
    max_resource: int | None = None
    """No rung at or past this step, if given."""
    name: str = "asha"

    def __post_init__(self) -> None:
        _check(self.min_resource, self.reduction_factor)
        if self.min_early_stopping_rate < 0:
            raise SpecError(
                "minEarlyStoppingRate",
                f"must be an integer of at least 0, but got {self.min_early_stopping_rate}",
            )
        if self.max_resource is not None and (
            isinstance(self.max_resource, bool) or self.max_resource <= self.min_resource
        ):
            raise SpecError(
                "maxResource",
                f"must be greater than minResource {self.min_resource}, but got "
                f"{self.max_resource}",
            )

    def evaluate(
        self, trial: TrialRecord, trials: Sequence[TrialRecord], objective: Objective
    ) -> StopDecision | None:
        return _rung_decision(
            self.name, trial, trials, objective,
            self.min_resource, self.reduction_factor, self.min_early_stopping_rate,
            self.max_resource,
        )  # fmt: skip


@dataclass(frozen=True)
class HyperbandPolicy:
    max_resource: int
    min_resource: int = 1
    reduction_factor: int = 3
    name: str = "hyperband"

    def __post_init__(self) -> None:
        _check(self.min_resource, self.reduction_factor)
        if isinstance(self.max_resource, bool) or self.max_resource <= self.min_resource:
            raise SpecError(
                "maxResource",
                f"must be greater than minResource {self.min_resource}, but got "
                f"{self.max_resource}",
            )

    @property
    def brackets(self) -> int:
        ratio = self.max_resource / self.min_resource
        return math.floor(math.log(ratio, self.reduction_factor) + 1e-9) + 1

    def bracket(self, index: int) -> int:
        return _bracket(index, self.brackets, self.reduction_factor)

    @property
    def top_rung(self) -> int:
        """The step from which no trial is judged: ``maxResource`` where it is
        ``minResource`` times a power of ``reductionFactor``, else the last such step
        below it."""
        return int(self.min_resource * self.reduction_factor ** (self.brackets - 1))

    def evaluate(
        self, trial: TrialRecord, trials: Sequence[TrialRecord], objective: Objective
    ) -> StopDecision | None:
        bracket = self.bracket(trial.index)
        population = [t for t in trials if self.bracket(t.index) == bracket]
        decision = _rung_decision(
            self.name, trial, population, objective,
            self.min_resource, self.reduction_factor, bracket, self.top_rung,
        )  # fmt: skip
        if decision is None:
            return None
        return StopDecision(
            decision.policy,
            decision.step,
            f"bracket {bracket}: {decision.message}",
            {**decision.details, "bracket": float(bracket)},
        )
