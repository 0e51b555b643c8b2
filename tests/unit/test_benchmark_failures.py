"""The failed-trials benchmark (benchmarks/failures.py): its crash regions leave each
optimum finishing and fail a little past it, its flaky failures hit the same trial numbers
for every sampler, and its baseline never sees a failed trial."""

from __future__ import annotations

import math
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest

from kubesweep.domain.space import SearchSpace, Uniform
from kubesweep.domain.trials import Goal, Objective, TrialPhase, TrialRecord
from tests.unit.conftest import load_benchmark

OBJECTIVE = Objective("f", Goal.MINIMIZE)
OPTIMA = {  # where each function takes its minimum
    "branin": [math.pi, 2.275],
    "hartmann3": [0.114614, 0.555649, 0.852547],
    "hartmann6": [0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573],
    "rosenbrock4": [1.0] * 4,
    "levy4": [1.0] * 4,
}


@pytest.fixture(scope="module")
def failures() -> Iterator[ModuleType]:
    yield from load_benchmark("failures")


@pytest.mark.parametrize("name", sorted(OPTIMA))
def test_a_crash_region_starts_a_tenth_of_the_range_past_the_optimum(
    failures: ModuleType, name: str
) -> None:
    problem = failures.PROBLEMS[name]
    evaluate = failures.failing(problem, "crash", seed=0)
    optimum = {f"x{i}": v for i, v in enumerate(OPTIMA[name])}
    assert evaluate(optimum) == pytest.approx(problem.optimum, abs=1e-4)
    coordinate, _ = failures.CRASH[name]
    param = problem.params[coordinate]
    for offset, fails in ((0.09, False), (0.11, True)):
        moved = dict(optimum)
        moved[param.name] = optimum[param.name] + offset * (param.high - param.low)
        if fails:
            with pytest.raises(failures.TrialFailedError):
                evaluate(moved)
        else:
            evaluate(moved)


def test_flaky_failures_hit_the_same_trial_numbers_whatever_the_parameters(
    failures: ModuleType,
) -> None:
    problem = failures.PROBLEMS["branin"]

    def failed(seed: int, x0: float) -> list[int]:
        evaluate = failures.failing(problem, "flaky", seed)
        numbers = []
        for number in range(1000):
            try:
                evaluate({"x0": x0, "x1": 2.0})
            except failures.TrialFailedError:
                numbers.append(number)
        return numbers

    first = failed(0, 1.0)
    assert 70 < len(first) < 130
    assert failed(0, -3.0) == first
    assert failed(1, 1.0) != first


def test_the_baseline_never_sees_a_failed_trial(
    failures: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[Any] = []

    def spy(self: object, index: int, history: list[TrialRecord]) -> dict[str, float]:
        seen.append([r.index for r in history])
        return {"x": 0.5}

    monkeypatch.setattr(failures.BayesianSampler, "suggest", spy)

    history = [
        TrialRecord.of(0, {"x": 0.1}, TrialPhase.SUCCEEDED, [1.0]),
        TrialRecord.of(1, {"x": 0.9}, TrialPhase.FAILED),
        TrialRecord.of(2, {"x": 0.8}, TrialPhase.METRICS_UNAVAILABLE),
        TrialRecord.of(3, {"x": 0.2}, TrialPhase.RUNNING),
    ]
    blind = failures.Blind(SearchSpace.of({"x": Uniform(0, 1)}), seed=0, objective=OBJECTIVE)
    assert blind.suggest(4, history) == {"x": 0.5}
    assert seen == [[0, 3]]
