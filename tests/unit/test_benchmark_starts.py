"""The shared-starts benchmark (benchmarks/starts.py): each sampler from the other's first
points, and its report."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
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
    assert rows[0] == "| ours (Sobol) | ours bayesian | 9 | 6 | 0.00505 | 9 | 9 | 0.0001 |"
    assert rows[1] == "| ours (Sobol) | Optuna GP | 3 | 3 | 0.12 | 3 | 3 | 0.12 |"
    assert rows[2] == "| ours (Sobol) | 6 | 0 | 3 | 0 |"
    # one full block of ten (seeds 0-9): medians 1e-4 floored at 0.0014 over 0.12
    assert rows[3] == "| ours (Sobol) | 1 | 1 | 1 | 0 | 0.0117 | 0.0117 to 0.0117 |"
    assert sum(line.startswith("| Optuna's") for line in lines) == 4


def test_the_block_table_scores_each_ten_seeds_as_the_suite_scores_a_problem(
    starts: ModuleType,
) -> None:
    seeds = list(range(120, 150))  # three blocks of ten, and the basins in one block of 120
    ours = [1e-5] * 10 + [0.12] * 10 + [0.002] * 10  # better, worse, tied
    regrets = {  # Optuna's GP from our start as above, from its own stuck everywhere
        ("bayesian", "ours"): ours,
        ("bayesian", "Optuna's"): ours,
        ("GP", "ours"): [0.12] * 10 + [1e-4] * 10 + [0.002] * 10,
        ("GP", "Optuna's"): [0.12] * 30,
    }
    results = {
        (kind, start, seed): regrets[(kind, start)][seed - 120]
        for kind in starts.SAMPLERS
        for start in starts.STARTS
        for seed in seeds
    }
    lines = starts.report(results, seeds)
    assert "(120-149)" in lines[0]
    assert "seeds 120 to 129" in lines[0]
    rows = [line for line in lines if line.startswith("| ours (Sobol)")]
    assert rows[0] == "| ours (Sobol) | ours bayesian | 20 | 10 | 0.002 | 20 | 10 | 1e-05 |"
    # ratios 0.0014/0.12, 0.12/0.0014 (both floored) and 1; percentiles interpolated
    assert rows[3] == "| ours (Sobol) | 3 | 1 | 2 | 1 | 1 | 0.209 to 68.8 |"
    # each from its own start (ours from ours, the GP from Optuna's): 0.0014/0.12, 1, 0.002/0.12
    assert lines[-1] == "| each its own | 3 | 2 | 3 | 0 | 0.0167 | 0.0127 to 0.803 |"
    # a partial block is left out; fewer than ten seeds leave no table at all
    assert starts.report(results, seeds[:25])[-1].startswith("| each its own | 2 |")
    assert not any("blocks of" in line for line in starts.report(results, seeds[:9]))


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
    table = lines[: next(i for i, line in enumerate(lines) if line.startswith("Against"))]
    rows = {line.split(" | ")[0]: line for line in table if line.startswith("| ")}
    assert rows["| Sobol"] == "| Sobol | 80 | 80 | 0.12 | 40, 40 | 4 | 0.12 |"
    assert rows["| uniform random"] == "| uniform random | 0 | 0 | 0.12 | 0, 0 | 0 | 0.12 |"
    assert rows["| Halton"] == "| Halton | 100 | 0 | 0.12 | 100, 0 | 10 | 0.01 |"
    assert lines[-2:] == [
        "| uniform random | -80 (-33.3 points) | -9.80 |",
        "| Halton | +20 (+8.3 points) | 1.89 |",
    ]


def test_a_negative_first_seed_or_no_seeds_is_refused_naming_the_option(
    starts: ModuleType, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    arguments = starts.samplers.side_by_side_arguments
    monkeypatch.setattr("sys.argv", ["starts.py", "--first-seed", "120", "--raw", "r.json"])
    chosen = arguments(starts.__doc__, saved_runs=True)
    assert (chosen.first_seed, chosen.raw) == (120, "r.json")
    monkeypatch.setattr("sys.argv", ["starts.py", "--first-seed", "-1"])
    with pytest.raises(SystemExit):
        arguments(starts.__doc__, saved_runs=True)
    assert "--first-seed must be 0 or more, not -1" in capsys.readouterr().err
    # the scripts that do not take it refuse it rather than run seeds 0 to 9 regardless
    monkeypatch.setattr("sys.argv", ["failures.py", "--first-seed", "5"])
    with pytest.raises(SystemExit):
        arguments(starts.__doc__)
    # no seeds at all is refused too, rather than taken for the default
    monkeypatch.setattr("sys.argv", ["failures.py", "--seeds", "0"])
    with pytest.raises(SystemExit):
        arguments(starts.__doc__)
    assert "--seeds must be 1 or more, not 0" in capsys.readouterr().err


def test_saved_runs_report_as_they_ran_and_the_other_mode_is_refused(
    starts: ModuleType, tmp_path: Path
) -> None:
    seeds = [120, 121]
    results = {
        (kind, start, seed): 0.01 * seed
        for kind in starts.SAMPLERS
        for start in starts.STARTS
        for seed in seeds
    }
    path = str(tmp_path / "starts.json")
    starts._save(path, results, seeds, 12.5, "Environment: here.", False)
    assert starts._saved(path, False) == (results, seeds, 12.5, "Environment: here.")
    with pytest.raises(SystemExit, match="made without --designs: without it"):
        starts._saved(path, True)
    designs = {(design, seed): 0.1 for design in starts.DESIGNS for seed in seeds}
    starts._save(path, designs, seeds, 3.0, "Environment: here.", True)
    assert starts._saved(path, True)[0] == designs
    with pytest.raises(SystemExit, match="made with --designs: with it"):
        starts._saved(path, False)
    (tmp_path / "other.json").write_text('{"trials": 100, "runs": []}')
    with pytest.raises(SystemExit, match=r"not a --raw file of benchmarks/starts\.py"):
        starts._saved(str(tmp_path / "other.json"), False)


def test_the_design_report_sets_each_design_it_holds_against_sobol(starts: ModuleType) -> None:
    seeds = list(range(240))
    regrets = {  # Sobol in the basin on every third seed (80), Halton on the first 100
        "Sobol": [0.01 if seed % 3 == 0 else 0.12 for seed in seeds],
        "Halton": [0.01] * 100 + [0.12] * 140,
    }
    results = {(d, seed): regrets[d][seed] for d in regrets for seed in seeds}
    lines = starts.design_report(results, seeds)
    rows = [line.split(" | ")[0] for line in lines if line.startswith("| ")]
    assert rows == ["| first batch", "| Sobol", "| Halton", "| first batch", "| Halton"]
    # 100 against 80 of 240: pooled 0.375, so z = (20 / 240) / sqrt(0.375 * 0.625 * 2 / 240)
    assert lines[-1] == "| Halton | +20 (+8.3 points) | 1.89 |"
    # with Sobol alone, or without it, nothing is set against it
    for kept in ("Sobol", "Halton"):
        alone = {key: value for key, value in results.items() if key[0] == kept}
        assert not any("Against" in line for line in starts.design_report(alone, seeds))


def test_only_some_designs_run_and_a_name_that_is_no_design_is_refused(
    starts: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert starts.chosen_designs(None) == starts.DESIGNS
    assert starts.chosen_designs("Halton, Sobol") == ("Sobol", "Halton")
    with pytest.raises(SystemExit, match="--only: 'halton' is not a design; the designs are "):
        starts.chosen_designs("Sobol,halton")
    monkeypatch.setattr("sys.argv", ["starts.py", "--only", "Sobol"])
    with pytest.raises(SystemExit, match="give --designs too"):
        starts.main()
    saved = ["starts.py", "--designs", "--only", "Sobol", "--from-raw", "r.json"]
    monkeypatch.setattr("sys.argv", saved)
    with pytest.raises(SystemExit, match="--quick, --raw or --only"):
        starts.main()
