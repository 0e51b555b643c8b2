"""The quantised-parameters benchmark (benchmarks/quantised.py): its grids, its two priors,
and its report."""

from __future__ import annotations

import math
from collections.abc import Iterator
from types import ModuleType

import numpy as np
import pytest

from kubesweep.domain.samplers import BayesianSampler
from kubesweep.domain.samplers._bayesian import _warp, pessimistic_prior
from kubesweep.domain.space import QUniform, value_count
from kubesweep.domain.trials import Goal, Objective
from tests.unit.conftest import load_benchmark

MINIMISERS = {"ackley5": 0.0, "levy4": 1.0, "rosenbrock4": 1.0}


@pytest.fixture(scope="module")
def quantised() -> Iterator[ModuleType]:
    yield from load_benchmark("quantised")


@pytest.mark.parametrize("steps", [20, 40, 100])
def test_each_grid_holds_the_optimum(quantised: ModuleType, steps: int) -> None:
    for name in quantised.PROBLEMS:
        problem = quantised.problem(name, steps)
        assert problem.name == f"{name}-q{steps + 1}"
        space = problem.space()
        assert [value_count(d) for _, d in space] == [steps + 1] * space.dimensions
        assert all(isinstance(d, QUniform) for _, d in space)
        # the grid value nearest the minimiser is the minimiser, and scores the optimum
        unit = [d.to_unit(MINIMISERS[name]) for _, d in space]
        point = space.from_unit(unit)
        assert all(math.isclose(float(v), MINIMISERS[name], abs_tol=1e-9) for v in point.values())
        assert problem.evaluate(point) == pytest.approx(problem.optimum, abs=1e-9)


def test_the_two_priors_whatever_the_space(quantised: ModuleType) -> None:
    objective = Objective("f", Goal.MINIMIZE)
    rng = np.random.default_rng(1)
    unit = 0.4 + 0.2 * rng.random((12, 2))
    raw = -((unit - 0.5) ** 2).sum(axis=1)
    y = _warp(raw)
    theta = np.array([math.log(0.05), math.log(0.05), 0.0, math.log(1e-4)])
    for steps, taken in ((20, 0.0), (100, pessimistic_prior(y))):
        space = quantised.problem("rosenbrock4", steps).space()
        as_is = BayesianSampler(space, seed=0, objective=objective)
        worst = quantised.Worst(space, seed=0, objective=objective)
        mean = quantised.Mean(space, seed=0, objective=objective)
        priors = [s._model(unit, raw, y, theta, [])[0].prior for s in (as_is, worst, mean)]
        assert priors == [pytest.approx(taken), pytest.approx(pessimistic_prior(y)), 0.0]


def test_the_report_gives_every_problem_level_and_concurrency(quantised: ModuleType) -> None:
    seeds, trials, levels = 2, 100, [20, 100]
    results = {}
    for name in quantised.PROBLEMS:
        for steps in levels:
            for c in (1, 16):
                for seed in range(seeds):
                    results[(name, "worst", steps, trials, c, seed)] = 0.0 if seed else 0.5
                    results[(name, "mean", steps, trials, c, seed)] = 0.25
                    results[(name, "continuous", steps, trials, c, seed)] = 1.0
    lines = quantised.report(results, levels, [1, 16], seeds, trials)
    rows = [line for line in lines if line.startswith("| ") and "| c |" not in line]
    per_problem = [row for row in rows if row.split(" | ")[0][2:] in quantised.PROBLEMS]
    assert len(per_problem) == len(quantised.PROBLEMS) * len(levels) * 2
    # worst: median 0.25, found once; mean: 0.25, never; ratio 1
    assert all(" | 0.25 | 1 | 0.25 | 0 | 1.00 | 1 |" in row for row in per_problem)
    assert sum("| 21 (mean) |" in row for row in per_problem) == len(quantised.PROBLEMS) * 2
    summary = rows[len(per_problem) :]
    assert summary == [
        "| 21 | 1 | 1.00 | 3 | 0 | mean |",
        "| 21 | 16 | 1.00 | 3 | 0 | mean |",
        "| 101 | 1 | 1.00 | 3 | 0 | worst |",
        "| 101 | 16 | 1.00 | 3 | 0 | worst |",
    ]
