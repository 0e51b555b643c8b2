"""The repeated-configurations benchmark (benchmarks/repeats.py): what it counts, its
baseline, and its report."""

from __future__ import annotations

import math
from collections.abc import Iterator
from types import ModuleType

import pytest

from kubesweep.domain.samplers import BayesianSampler, SobolSampler
from kubesweep.domain.space import Choice, RandInt, SearchSpace, configurations
from kubesweep.domain.trials import Goal, Objective, TrialPhase, TrialRecord
from tests.unit.conftest import load_benchmark


@pytest.fixture(scope="module")
def repeats() -> Iterator[ModuleType]:
    yield from load_benchmark("repeats")


def test_a_repeat_is_a_configuration_an_earlier_trial_has(repeats: ModuleType) -> None:
    configurations = [{"a": 1, "b": "x"}, {"b": "x", "a": 1}, {"a": 2, "b": "x"}, {"a": 1}]
    assert repeats.repeats(configurations) == 1
    assert repeats.repeats(configurations + configurations) == 5


def test_the_baseline_takes_its_best_point_whatever_trial_has_it(repeats: ModuleType) -> None:
    space = SearchSpace.of({"c": Choice(("a", "b", "z")), "k": RandInt(3)})
    objective = Objective("score", Goal.MAXIMIZE)
    left = ("z", 2)
    history = [
        TrialRecord.of(i, {"c": c, "k": k}, TrialPhase.SUCCEEDED, [-abs(k - 1) - (c != "b")])
        for i, (c, k) in enumerate((c, k) for c in "abz" for k in range(3) if (c, k) != left)
    ]
    ours = BayesianSampler(space, seed=0, objective=objective)
    baseline = repeats.Repeating(space, seed=0, objective=objective)
    assert ours.suggest(8, history) == {"c": "z", "k": 2}
    assert baseline.suggest(8, history) == {"c": "b", "k": 1}  # the best, again
    # and its design follows the Sobol sequence whatever trials have its configurations
    design = SobolSampler(space, seed=0)
    pending = [TrialRecord.of(0, design.suggest(3, []) or {}, TrialPhase.PENDING)]
    assert baseline.suggest(3, pending) == design.suggest(3, [])
    assert ours.suggest(3, pending) != design.suggest(3, [])


def test_the_grids_have_few_configurations(repeats: ModuleType) -> None:
    grids = repeats.grids()
    assert [configurations(p.space()) for p in grids.values()] == [25, 24]
    branin = grids["branin-5x5"]
    assert branin.evaluate({"x0": 0.5, "x1": 0.5}) == pytest.approx(  # (2.5, 7.5)
        (7.5 - 5.1 / (4 * math.pi**2) * 6.25 + 5 / math.pi * 2.5 - 6) ** 2
        + 10 * (1 - 1 / (8 * math.pi)) * math.cos(2.5)
        + 10
    )


def test_the_report_gives_every_sampler_on_every_problem(repeats: ModuleType) -> None:
    jobs = [
        (name, kind, 100, c, seed)
        for name in repeats.PROBLEMS
        for c in (1, 16)
        for kind in repeats.SAMPLERS
        for seed in range(3)
    ]
    results = {job: (job[4] * 2, 0.5 + job[4]) for job in jobs}  # repeats 0, 2, 4
    lines = repeats.report(results, jobs, 3, 100)
    rows = [line for line in lines if line.startswith("| ") and "| c |" not in line]
    assert len(rows) == 2 * len(repeats.PROBLEMS)
    assert all(row.count("| 2 (4), 1.5 ") == len(repeats.SAMPLERS) for row in rows)
