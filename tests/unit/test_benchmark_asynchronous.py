"""The asynchronous-trials benchmark (benchmarks/asynchronous.py): its clock, our side of
it, and its report (Optuna's side needs the benchmark extra)."""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType

import numpy as np
import pytest

from tests.unit.conftest import load_benchmark


@pytest.fixture(scope="module")
def asynchronous() -> Iterator[ModuleType]:
    yield from load_benchmark("asynchronous")


def test_trial_n_lasts_the_same_on_both_sides_whatever_else_runs(asynchronous: ModuleType) -> None:
    lasting = asynchronous.durations(3, 200)
    assert lasting == asynchronous.durations(3, 200)
    assert asynchronous.durations(3, 50) == lasting[:50]
    assert set(lasting) == set(range(1, asynchronous.LONGEST + 1))
    assert lasting != asynchronous.durations(4, 200)


def test_our_trials_last_their_drawn_steps_and_start_as_others_end(
    asynchronous: ModuleType,
) -> None:
    branin = asynchronous.problems_by_name()["branin"]
    result = asynchronous.simulated("sobol", branin, 40, 8, 5)
    lasting = asynchronous.durations(5, 40)
    assert [t.record.latest_step for t in result.trials] == lasting
    starts = [t.record.started_at for t in result.trials]
    ends = [s + d for s, d in zip(starts, lasting, strict=True)]
    assert starts[:8] == [0.0] * 8
    # each later trial starts at the step some trial ends, with never more than 8 running
    assert set(starts[8:]) <= set(ends)
    for now in range(int(max(ends))):
        assert sum(s <= now < e for s, e in zip(starts, ends, strict=True)) <= 8
    assert sum(s <= 1 < e for s, e in zip(starts, ends, strict=True)) == 8
    assert asynchronous.ours("sobol", branin, 40, 8, 5) == min(
        branin.evaluate(dict(t.record.parameters)) for t in result.trials
    )


def test_the_report_floors_at_random_searchs_resolution(asynchronous: ModuleType) -> None:
    seeds, trials = 3, 100
    results = {}
    for c in (4, 16):
        for seed in range(seeds):
            results[("branin", "random", trials, c, seed)] = 1.0
            results[("branin", "bayesian", trials, c, seed)] = 1e-6  # below 1e-3: solved
            results[("branin", "TPE", trials, c, seed)] = 0.5
            results[("branin", "GP", trials, c, seed)] = 0.01 * (seed + 1)
    lines = asynchronous.report(results, ["branin"], [4, 16], seeds, trials)
    rows = [line for line in lines if line.startswith("| branin |")]
    assert len(rows) == 2
    # ours floored at 0.001, over GP's median 0.02
    assert all("| 0.05 | 3 / 0 (GP) |" in row for row in rows)
    assert "| 16 | 0.05 |" in lines
    assert np.isclose(asynchronous.stats.geometric_mean([0.05, 0.05]), 0.05)
