"""The flat-results benchmark (benchmarks/plateau.py): its bump is flat away from a centre
drawn per seed, its baseline fits the model on flat results, and its report gives every
sampler's figures."""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType

import numpy as np
import pytest

from kubesweep.domain.planner import Limits, SweepSpec
from kubesweep.domain.samplers import SobolSampler
from kubesweep.domain.trials import Goal, Objective, TrialPhase, TrialRecord
from tests.unit.conftest import load_benchmark


@pytest.fixture(scope="module")
def plateau() -> Iterator[ModuleType]:
    yield from load_benchmark("plateau")


@pytest.mark.parametrize("name", ["bump-3d", "bump-6d"])
def test_the_bump_is_flat_but_around_a_centre_drawn_per_seed(
    plateau: ModuleType, name: str
) -> None:
    dimensions, width = plateau.PROBLEMS[name]
    centres = []
    for seed in range(3):
        problem = plateau.bump(name, seed)
        # the bump among random points: its middle is the centre
        rng = np.random.default_rng(seed)
        points = rng.random((20000, dimensions))
        values = [problem.evaluate({f"x{i}": v for i, v in enumerate(p)}) for p in points]
        scoring = points[np.array(values) < plateau.FLAT]
        assert 0 < len(scoring) < len(points) / 2  # a bump, the rest flat
        assert max(values) == plateau.FLAT
        centre = scoring.mean(axis=0)
        assert np.all((centre > 0.05) & (centre < 0.95))
        far = {f"x{i}": float(v) for i, v in enumerate(np.clip(centre + 4 * width, 0, 1))}
        assert problem.evaluate(far) == plateau.FLAT
        centres.append(centre)
    assert not np.allclose(centres[0], centres[1], atol=0.05)


def test_the_baseline_fits_its_model_on_flat_results(plateau: ModuleType) -> None:
    problem = plateau.bump("bump-3d", 0)
    space = problem.space()
    objective = Objective("f", Goal.MINIMIZE)
    ours = SweepSpec(objective, space, plateau.samplers.sampling_config("bayesian", 4), None,
                     Limits(10, 1)).sampler()  # fmt: skip
    baseline = plateau.ModelOnFlat(space, seed=4, objective=objective)
    history = [
        TrialRecord.of(i, ours.suggest(i, []) or {}, TrialPhase.SUCCEEDED, [plateau.FLAT])
        for i in range(ours.initial_trials)
    ]
    index = len(history)
    design = SobolSampler(space, seed=4).suggest(index, [])
    assert ours.suggest(index, history) == design
    assert baseline.suggest(index, history) != design


def test_the_report_gives_every_sampler_on_every_problem(plateau: ModuleType) -> None:
    jobs = [
        (name, kind, c, seed)
        for name in ("bump-3d", "bump-6d")
        for c in (1, 4)
        for kind in plateau.SAMPLERS
        for seed in range(3)
    ]
    results = {job: (job[3] * 10 + job[2], 0.5 if job[3] else 0.0) for job in jobs}
    results[("bump-6d", "GP", 4, 2)] = (plateau.TRIALS, 1.0)  # never found
    lines = plateau.report(results, jobs, 3)
    rows = [line for line in lines if line.startswith("| bump")]
    assert len(rows) == 4
    assert rows[0].count("| 11 (3/3), 0.5 ") == len(plateau.SAMPLERS)  # firsts 1, 11, 21
    assert rows[-1].endswith("| 14 (3/3), 0.5 | 14 (2/3), 0.5 |")  # GP: 4, 14, none
