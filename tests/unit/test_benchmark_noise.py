"""The noisy-metrics benchmark (benchmarks/noise.py): its noise is the same draw for a trial
number whatever the sampler, sized by the function's typical gap, and its regrets are
measured on the noise-free function, the reported one at the trial with the best noisy
result."""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType

import numpy as np
import pytest

from tests.unit.conftest import load_benchmark


@pytest.fixture(scope="module")
def noise() -> Iterator[ModuleType]:
    yield from load_benchmark("noise")


def test_the_typical_gap_is_the_median_distance_above_the_optimum(noise: ModuleType) -> None:
    problem = noise.PROBLEMS["hartmann3"]
    gap = noise.typical_gap("hartmann3")
    rng = np.random.default_rng(99)  # another draw than the benchmark's
    regrets = [
        problem.evaluate({f"x{i}": float(v) for i, v in enumerate(rng.random(3))}) - problem.optimum
        for _ in range(4000)
    ]
    assert 0.46 < np.mean(np.array(regrets) <= gap) < 0.54


def test_the_noise_is_drawn_by_trial_number_and_sized_by_the_level(noise: ModuleType) -> None:
    problem = noise.PROBLEMS["branin"]
    here, there = {"x0": 1.0, "x1": 2.0}, {"x0": -3.0, "x1": 12.0}

    def draws(level: float, seed: int, point: dict[str, float]) -> np.ndarray:
        evaluate = noise.noisy(problem, level, seed)
        return np.array([evaluate(point) - problem.evaluate(point) for _ in range(2000)])

    first = draws(0.1, 0, here)
    assert np.allclose(draws(0.1, 0, there), first)  # the same for any sampler's trial n
    assert np.allclose(draws(0.01, 0, here), first / 10)
    assert not np.allclose(draws(0.1, 1, here), first)
    assert np.std(first) == pytest.approx(0.1 * noise.typical_gap("branin"), rel=0.05)
    assert abs(np.mean(first)) < 0.1 * np.std(first)


def test_the_reported_trial_is_the_best_noisy_result_and_regrets_are_noise_free(
    noise: ModuleType,
) -> None:
    problem = noise.PROBLEMS["hartmann3"]
    reported, tried = noise.run_ours("sobol", problem, 1.0, 12, 1, 0)
    evaluate = noise.noisy(problem, 1.0, 0)  # the same draws, trial after trial
    noisy_values = [evaluate(parameters) for parameters in tried]
    assert reported == tried[int(np.argmin(noisy_values))]
    _, (reported_regret, found_regret) = noise._job(("hartmann3", 1.0, "sobol", 12, 1, 0))
    assert reported_regret == pytest.approx(problem.evaluate(reported) - problem.optimum)
    assert found_regret == pytest.approx(min(problem.evaluate(p) for p in tried) - problem.optimum)
    assert 0 <= found_regret < reported_regret  # noise as large as the gap: luck won


def test_the_report_gives_every_sampler_and_ours_over_the_better_rival(
    noise: ModuleType,
) -> None:
    jobs = [
        ("branin", level, kind, 10, 1, seed)
        for level in noise.LEVELS
        for kind in noise.SAMPLERS
        for seed in range(3)
    ]
    regrets = {"sobol": (1.0, 0.5), "bayesian": (0.02, 0.01), "TPE": (0.08, 0.04),
               "GP": (0.04, 0.02)}  # fmt: skip
    results = {job: regrets[job[2]] for job in jobs}
    lines = noise.report(results, jobs, 3, 10)
    row = next(line for line in lines if line.startswith("| branin (") and "| 0.01 |" in line)
    assert row.endswith("| 1 / 0.5 | 0.02 / 0.01 | 0.08 / 0.04 | 0.04 / 0.02 | 0.5 |")
    assert "| 0.1 | 1 | 1 / 0.5 | 0.02 / 0.01 | 0.08 / 0.04 | 0.04 / 0.02 |" in lines
