"""The statistics the benchmark reports are computed with (benchmarks/stats.py): the pooled
geometric mean of normalised regret per sampler, and the ratio of medians it stands beside."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

STATS = Path(__file__).resolve().parents[2] / "benchmarks" / "stats.py"


@pytest.fixture(scope="module")
def stats() -> ModuleType:
    spec = importlib.util.spec_from_file_location("benchmark_stats", STATS)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_pooled_is_a_geometric_mean_over_seeds_then_problems(stats: ModuleType) -> None:
    # problem one: seeds 1 and 4 (geometric mean 2); problem two, scale 10: 10 (1 normalised)
    value = stats.pooled([np.array([1.0, 4.0]), np.array([10.0])], [1.0, 10.0])
    assert value == pytest.approx(math.sqrt(2.0 * 1.0))


def test_pooled_ratio_takes_the_best_rival_and_does_not_depend_on_the_scales(
    stats: ModuleType,
) -> None:
    ours = [np.array([0.1, 0.4]), np.array([2.0, 2.0])]
    weak = [np.array([1.0, 1.0]), np.array([4.0, 4.0])]
    strong = [np.array([0.2, 0.2]), np.array([1.0, 1.0])]
    cases = [(1.0, ours[i], [weak[i], strong[i]]) for i in range(2)]
    expected = math.sqrt(0.2 * 2.0) / math.sqrt(0.2 * 1.0)
    assert stats.pooled_ratio(cases) == pytest.approx(expected)
    rescaled = [(s * 1000.0, o, r) for s, o, r in cases]
    assert stats.pooled_ratio(rescaled) == pytest.approx(expected)


def test_pooled_counts_how_often_a_stuck_or_solved_problem_is_solved(stats: ModuleType) -> None:
    # ours solves 5 of 10 seeds, the rival 6: the medians put ours 500 times worse, while
    # the pooled means differ by one seed's worth (a factor 1000^(1/10))
    solved, stuck = 1e-4, 0.1
    ours = np.array([solved] * 5 + [stuck] * 5)
    rival = np.array([solved] * 6 + [stuck] * 4)
    assert stats.ratio(ours, [rival]) == pytest.approx(500.0, rel=0.01)
    assert stats.pooled_ratio([(1.0, ours, [rival])]) == pytest.approx(1000**0.1)


def test_bootstrap_pooled_brackets_the_point_and_repeats_under_its_seed(
    stats: ModuleType,
) -> None:
    rng = np.random.default_rng(3)
    cases = [(1.0, rng.lognormal(0.0, 1.0, 10), [rng.lognormal(1.0, 1.0, 10)]) for _ in range(3)]
    point, low, high = stats.bootstrap_pooled(cases, resamples=200)
    assert low < point < high
    assert point == pytest.approx(stats.pooled_ratio(cases))
    assert stats.bootstrap_pooled(cases, resamples=200) == (point, low, high)
    same = [(1.0, np.ones(5), [np.ones(5)])]
    assert stats.bootstrap_pooled(same, resamples=50) == (1.0, 1.0, 1.0)


def test_verdict_takes_the_side_from_the_ranks_when_the_medians_are_equal(
    stats: ModuleType,
) -> None:
    # both solve the problem in most seeds (median at the floor, 0); ours in all 30 seeds,
    # the rival in 19: the medians are equal and ours is the better (it was called a loss)
    ours = np.zeros(30)
    rival = np.concatenate([np.zeros(19), np.full(11, 0.05)])
    assert stats.verdict(ours, rival) == "win"
    assert stats.verdict(rival, ours) == "loss"


def test_verdict_is_a_tie_when_the_test_cannot_tell(stats: ModuleType) -> None:
    ours = np.array([0.1, 0.3, 0.5, 0.7, 0.9])
    rival = np.array([0.2, 0.4, 0.6, 0.8, 1.0])
    assert stats.verdict(ours, rival) == "tie"
    assert stats.verdict(ours, ours[::-1]) == "tie"
    assert stats.verdict(np.full(10, 0.01), np.full(10, 1.0)) == "win"
