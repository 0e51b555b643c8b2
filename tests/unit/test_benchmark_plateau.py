"""The flat-results benchmark (benchmarks/plateau.py): its bump is flat away from a centre
drawn per seed, its baseline fits the model on flat results, and its report gives every
sampler's figures."""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType
from typing import Any

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


def flat_start(plateau: ModuleType, baseline_type: type) -> tuple[Any, Any, list[TrialRecord]]:
    """Ours and the baseline on the 3-D bump, and an initial design whose results are flat."""
    space = plateau.bump("bump-3d", 0).space()
    objective = Objective("f", Goal.MINIMIZE)
    ours = SweepSpec(objective, space, plateau.samplers.sampling_config("bayesian", 4), None,
                     Limits(10, 1)).sampler()  # fmt: skip
    history = [
        TrialRecord.of(i, ours.suggest(i, []) or {}, TrialPhase.SUCCEEDED, [plateau.FLAT])
        for i in range(ours.initial_trials)
    ]
    return ours, baseline_type(space, seed=4, objective=objective), history


def test_the_baseline_fits_its_model_on_flat_results(plateau: ModuleType) -> None:
    ours, baseline, history = flat_start(plateau, plateau.ModelOnFlat)
    index = len(history)
    design = SobolSampler(plateau.bump("bump-3d", 0).space(), seed=4).suggest(index, [])
    assert ours.suggest(index, history) == design
    assert baseline.suggest(index, history) != design


def test_the_baseline_fits_its_model_on_noisy_results(plateau: ModuleType) -> None:
    ours, baseline, _ = flat_start(plateau, plateau.NoNoiseTest)
    design = SobolSampler(plateau.bump("bump-3d", 0).space(), seed=4)
    noisy = plateau.case_function("bump-3d", "noisy", 6)
    history = [  # 30 design trials, all on the flat part of seed 6's bump, with its noise
        TrialRecord.of(i, p, TrialPhase.SUCCEEDED, [noisy(p)])
        for i, p in enumerate(design.suggest(i, []) or {} for i in range(30))
    ]
    assert all(plateau.bump("bump-3d", 6).evaluate(r.parameters) == 1.0 for r in history)
    assert len({r.history[-1].value for r in history}) == 30
    assert ours.suggest(30, history) == design.suggest(30, [])
    assert baseline.suggest(30, history) != design.suggest(30, [])


def test_the_baseline_goes_over_to_its_model_once_a_trial_failed(plateau: ModuleType) -> None:
    ours, baseline, history = flat_start(plateau, plateau.ModelOnceFailed)
    index = len(history)
    design = SobolSampler(plateau.bump("bump-3d", 0).space(), seed=4).suggest(index + 1, [])
    assert baseline.suggest(index + 1, history) == design  # no failure: the design
    failed = [*history, TrialRecord.of(index, {"x0": 0.9, "x1": 0.1, "x2": 0.9},
                                       TrialPhase.FAILED)]  # fmt: skip
    assert ours.suggest(index + 1, failed) == design
    assert baseline.suggest(index + 1, failed) != design


def test_each_case_changes_the_bump_as_it_says(plateau: ModuleType) -> None:
    _, width = plateau.PROBLEMS["bump-3d"]
    centre_x0 = np.random.default_rng([7, 2]).uniform(0.1, 0.9, 3)[0]
    crash = plateau.case_function("bump-3d", "crash", 2)
    assert crash({"x0": min(centre_x0 + 2.9 * width, 1.0), "x1": 0.5, "x2": 0.5}) <= 1.0
    assert centre_x0 + 3 * width < 0.7  # seed 2: 0.60
    with pytest.raises(plateau.failures.TrialFailedError):
        crash({"x0": centre_x0 + 3.1 * width, "x1": 0.5, "x2": 0.5})
    flaky = plateau.case_function("bump-3d", "flaky", 2)
    outcomes = []
    for _ in range(200):
        try:
            flaky({"x0": 0.5, "x1": 0.5, "x2": 0.5})
            outcomes.append(False)
        except plateau.failures.TrialFailedError:
            outcomes.append(True)
    assert outcomes == [plateau.failures.lost(2, n) for n in range(200)]
    assert 5 <= sum(outcomes) <= 40  # a tenth, give or take
    assert plateau.case_function("bump-3d", "", 2)({"x0": 1.0, "x1": 0.5, "x2": 0.5}) == 1.0
    jittered = plateau.case_function("bump-3d", "jittered", 2)
    values = [jittered({"x0": 1.0, "x1": 0.5, "x2": 0.5}) for _ in range(20)]
    assert len(set(values)) == 20  # never the same twice, yet
    assert max(abs(v - 1.0) for v in values) < 1e-6  # the same to a millionth
    noisy = [plateau.case_function("bump-3d", "noisy", 2) for _ in range(2)]
    draws = [[f({"x0": 1.0, "x1": 0.5, "x2": 0.5}) for _ in range(200)] for f in noisy]
    assert draws[0] == draws[1]  # trial n of a seed: the same draw
    assert np.std(draws[0]) == pytest.approx(plateau.NOISE, rel=0.2)
    assert abs(np.mean(draws[0]) - 1.0) < 3 * plateau.NOISE / np.sqrt(200) * 1.5


def test_the_report_gives_every_sampler_on_every_problem(plateau: ModuleType) -> None:
    jobs = [
        (name, case, kind, c, seed)
        for case in plateau.CASES
        for name in ("bump-3d", "bump-6d")
        for c in (1, 4)
        for kind in plateau._samplers(case)
        for seed in range(3)
    ]
    results = {job: (job[4] * 10 + job[3], 0.5 if job[4] else 0.0, job[4]) for job in jobs}
    results[("bump-6d", "", "GP", 4, 2)] = (plateau.TRIALS, 1.0, 0)  # never found
    lines = plateau.report(results, jobs, 3)
    rows = [line for line in lines if line.startswith("| bump")]
    assert len(rows) == 5 * 4
    assert rows[0].count("| 11 (3/3), 0.5 ") == len(plateau.SAMPLERS)  # firsts 1, 11, 21
    assert rows[3].endswith("| 14 (3/3), 0.5 | 14 (2/3), 0.5 |")  # GP: 4, 14, none
    assert rows[4] == "| bump-3d jittered | 1 |" + " 11 (3/3), 0.5 |" * len(plateau.SAMPLERS)
    assert rows[8] == "| bump-3d noisy | 1 |" + " 11 (3/3), 0.5 |" * len(plateau.NOISY_SAMPLERS)
    assert plateau.NOISY_SAMPLERS[2] in lines[lines.index(rows[8]) - 2]  # its table head
    assert rows[12].startswith("| bump-3d crash | 1 | 11 (3/3), 0.5, 1 |")  # failed 0, 1, 2
    assert rows[-1].startswith("| bump-6d flaky | 4 |")
    assert plateau.FAILING_SAMPLERS[2] in lines[lines.index(rows[12]) - 2]  # its table head
