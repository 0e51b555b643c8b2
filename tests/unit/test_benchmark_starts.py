"""The shared-starts benchmark (benchmarks/starts.py): each sampler from the other's first
points, and its report."""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType

import numpy as np
import pytest

from kubesweep.domain.samplers import BayesianSampler
from kubesweep.domain.trials import Goal, Objective, TrialPhase, TrialRecord
from tests.unit.conftest import load_benchmark


@pytest.fixture(scope="module")
def starts() -> Iterator[ModuleType]:
    yield from load_benchmark("starts")


def test_our_start_is_the_first_batch_of_our_sweep(starts: ModuleType) -> None:
    problem = starts.benchmark_problem()
    sweep = starts.samplers.simulated("bayesian", problem, 20, 16, 3)
    first = sorted(sweep.trials, key=lambda t: t.record.index)[:16]
    assert starts.our_start(problem, 3) == [dict(t.record.parameters) for t in first]
    assert starts.our_start(problem, 3) != starts.our_start(problem, 4)


def test_a_started_sampler_takes_the_given_points_then_its_model(starts: ModuleType) -> None:
    problem = starts.benchmark_problem()
    space, objective = problem.space(), Objective("f", Goal.MINIMIZE)
    rng = np.random.default_rng(0)
    points = [
        {name: float(v) for name, v in zip(space.names, rng.random(6), strict=True)}
        for _ in range(16)
    ]
    sampler = starts.started(points)(space, seed=5, objective=objective)
    assert [sampler.suggest(i, []) for i in range(16)] == points
    # once the results are in, it is our sampler as it is
    history = [
        TrialRecord.of(i, p, TrialPhase.SUCCEEDED, [problem.evaluate(p)])
        for i, p in enumerate(points)
    ]
    plain = BayesianSampler(space, seed=5, objective=objective)
    assert sampler.suggest(16, history) == plain.suggest(16, history)
    assert sampler.suggest(16, history) not in points


def test_the_report_counts_basins_solved_runs_and_the_seeds_only_one_side_won(
    starts: ModuleType,
) -> None:
    seeds = list(range(12))
    regrets = {  # ours: seeds 0-5 solved, 6-8 in the basin, the rest stuck; GP: 0-2 solved
        "bayesian": [1e-4] * 6 + [0.01] * 3 + [0.12] * 3,
        "GP": [1e-4] * 3 + [0.12] * 9,
    }
    results = {
        (kind, start, seed): regrets[kind][seed]
        for kind in starts.SAMPLERS
        for start in starts.STARTS
        for seed in seeds
    }
    lines = starts.report(results, seeds)
    rows = [line for line in lines if line.startswith("| ours (Sobol)")]
    assert rows[0] == "| ours (Sobol) | ours bayesian | 9 | 6 | 0.00505 | 9 | 0.0001 |"
    assert rows[1] == "| ours (Sobol) | Optuna GP | 3 | 3 | 0.12 | 3 | 0.12 |"
    assert rows[2] == "| ours (Sobol) | 6 | 0 | 3 | 0 |"
    assert sum(line.startswith("| Optuna's") for line in lines) == 3


def test_a_design_start_is_the_first_batch_of_that_design(starts: ModuleType) -> None:
    problem = starts.benchmark_problem()
    space = problem.space()
    assert starts.design_start(problem, "Sobol", 3) == starts.our_start(problem, 3)
    for design in ("uniform random", "Halton"):
        points = starts.design_start(problem, design, 3)
        assert len(points) == 16
        assert points == starts.design_start(problem, design, 3)  # seeded
        assert points != starts.design_start(problem, design, 4)
        assert all(0.0 <= p[name] <= 1.0 for p in points for name in space.names)
    assert starts.design_start(problem, "Halton", 3) != starts.design_start(
        problem, "uniform random", 3
    )


def test_the_design_report_counts_basins_by_block_and_on_the_suites_seeds(
    starts: ModuleType,
) -> None:
    seeds = list(range(240))
    regrets = {  # Sobol: every third seed solved; Halton: the first 100 in the basin, unsolved
        "Sobol": [1e-4 if seed % 3 == 0 else 0.12 for seed in seeds],
        "uniform random": [0.12] * 240,
        "Halton": [0.01] * 100 + [0.12] * 140,
    }
    results = {(d, seed): regrets[d][seed] for d in starts.DESIGNS for seed in seeds}
    lines = starts.design_report(results, seeds)
    assert "(0-119, 120-239)" in lines[0]
    rows = {line.split(" | ")[0]: line for line in lines if line.startswith("| ")}
    assert rows["| Sobol"] == "| Sobol | 80 | 80 | 0.12 | 40, 40 | 4 | 0.12 |"
    assert rows["| uniform random"] == "| uniform random | 0 | 0 | 0.12 | 0, 0 | 0 | 0.12 |"
    assert rows["| Halton"] == "| Halton | 100 | 0 | 0.12 | 100, 0 | 10 | 0.01 |"
