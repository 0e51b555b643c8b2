"""Seed draws (benchmarks/draws.py): the suite's ratios over draws of its saved seeds, each
draw scored as the suite scores its own ten."""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from tests.unit.conftest import load_benchmark


@pytest.fixture(scope="module")
def draws() -> Iterator[ModuleType]:
    yield from load_benchmark("draws")


def problem(draws: ModuleType, name: str, group: str) -> Any:
    return draws.Problem(name, group, (), lambda _: 0.0, 0.0, 1e-5)


def runs(
    draws: ModuleType, name: str, ours: list[float], rival: list[float]
) -> dict[tuple[str, str, int], list[float]]:
    """Saved runs of one problem at concurrency 16: our bayesian's and Optuna's GP's best
    values as given, every other sampler's far worse."""
    kinds = (*draws.samplers.OURS, *draws.samplers.THEIRS)
    result = {(name, kind, 16): [1.0] * len(ours) for kind in kinds}
    result[(name, "bayesian", 16)], result[(name, "GP", 16)] = ours, rival
    return result


def tables(lines: list[str]) -> list[dict[str, list[str]]]:
    """The report's tables in order (by group: ratio of medians, then pooled; by problem),
    each as its rows by their first cell, cells without that one."""
    found: list[dict[str, list[str]]] = []
    previous = ""
    for line in lines:
        if line.startswith("| ") and not previous.startswith("|"):
            found.append({})  # a header; its separator line starts with "|---"
        elif line.startswith("| "):
            cells = [c.strip() for c in line.strip("|").split("|")]
            found[-1][cells[0]] = cells[1:]
        previous = line
    return found


def rows(lines: list[str]) -> dict[str, list[str]]:
    """The rows of the tables of ratios of medians (by group, then by problem)."""
    by_group, _, by_problem = tables(lines)
    return {**by_group, **by_problem}


def test_a_solved_or_stuck_problem_scores_about_1_or_60_by_the_draw(draws: ModuleType) -> None:
    # ours solves seeds 0-4 (regret 1e-4) and is stuck in 5-9 (0.12); the rival 0.002
    saved = runs(draws, "h6", [1e-4] * 5 + [0.12] * 5, [0.002] * 10)
    lines = draws.report(saved, [problem(draws, "h6", "synthetic")], [16], 10, 0, size=5, draws=400)
    cells = rows(lines)["synthetic"]
    # c, problems, all seeds, the first 5 (the suite's: all solved), median, 10th to 90th
    assert cells[:4] == ["16", "1", "30.03", "0.05"]
    assert cells[5] == "0.05 to 60.00"  # a draw of five puts the median one side or the other
    at_most_half = float(cells[6].rstrip("%")) / 100
    assert 0.35 < at_most_half < 0.65  # three or more of the five solved: half the draws
    assert cells[6] == cells[7]  # 0.05 or 60, nothing between
    # the problem's own row: c, all seeds, the first 5, median, 10th to 90th
    h6 = rows(lines)["h6"]
    assert (h6[0], h6[1], h6[2], h6[4]) == ("16", "30", "0.05", "0.05 to 60")


def test_the_pooled_reading_weighs_a_solved_or_stuck_problem_by_how_often_it_is_solved(
    draws: ModuleType,
) -> None:
    # as above; random search's regret is 1, so each regret is already normalised
    saved = runs(draws, "h6", [1e-4] * 5 + [0.12] * 5, [0.002] * 10)
    lines = draws.report(saved, [problem(draws, "h6", "synthetic")], [16], 10, 0, size=5, draws=400)
    cells = tables(lines)[1]["synthetic"]
    # all seeds: sqrt(1e-4 * 0.12) / 0.002; the first 5: 1e-4 / 0.002
    assert cells[:4] == ["16", "1", f"{np.sqrt(1.2e-5) / 0.002:.2f}", "0.05"]
    # a draw with k of the five solved: (1e-4^k 0.12^(5-k))^(1/5) / 0.002 is 0.05, 0.21,
    # 0.85, 3.5 for k = 5, 4, 3, 2: at most 0.5 for k >= 4 (26 of the 252 draws of five),
    # at most 1.0 for k >= 3 (half)
    at_most_half, at_most_one = (float(c.rstrip("%")) / 100 for c in cells[6:8])
    assert 0.05 < at_most_half < 0.17
    assert 0.35 < at_most_one < 0.65


def test_a_draw_of_every_seed_is_the_full_set_and_subsets_are_scored_alone(
    draws: ModuleType,
) -> None:
    saved = {
        **runs(draws, "a", [1e-3, 2e-3, 4e-3, 8e-3], [4e-3] * 4),
        **runs(draws, "b", [0.5, 0.5, 0.5, 0.5], [0.25, 0.25, 0.25, 0.25]),
    }
    problems = [problem(draws, "a", "synthetic"), problem(draws, "b", "tabular")]
    lines = draws.report(saved, problems, [16], 4, 0, size=4, draws=20)
    table = rows(lines)
    # a: 3e-3 / 4e-3 = 0.75; b: 2; together sqrt(1.5)
    assert table["synthetic"][2:7] == ["0.75", "0.75", "0.75", "0.75 to 0.75", "0%"]
    assert table["tabular"][2] == "2.00"
    assert table["synthetic and tabular"][2] == f"{np.sqrt(1.5):.2f}" == table["all"][2]
    # the seeds of a draw alone decide its scale and resolution, as the suite's ten do
    subset = {key: [values[1], values[3]] for key, values in saved.items()}
    picked = draws.samplers.floored_regrets(saved, problems[0], 16, np.array([1, 3]))
    alone = draws.samplers.floored_regrets(subset, problems[0], 16)
    assert all(np.array_equal(picked[3][k], alone[3][k]) for k in alone[3])
    assert picked[1:3] == alone[1:3]


def test_the_joint_group_needs_both_kinds_of_problem(draws: ModuleType) -> None:
    synthetic = [problem(draws, "a", "synthetic"), problem(draws, "b", "synthetic")]
    assert list(draws.groups(synthetic)) == ["synthetic", "all"]
    both = [*synthetic, problem(draws, "c", "tabular"), problem(draws, "d", "sklearn")]
    grouped = draws.groups(both)
    assert list(grouped) == ["synthetic", "tabular", "sklearn", "synthetic and tabular", "all"]
    assert [p.name for p in grouped["synthetic and tabular"]] == ["a", "b", "c"]


def test_a_draw_larger_than_the_saved_seeds_or_no_draw_is_refused(draws: ModuleType) -> None:
    saved, problems = runs(draws, "a", [1e-3] * 4, [4e-3] * 4), [problem(draws, "a", "synthetic")]
    with pytest.raises(SystemExit, match="--size: 5 seeds drawn from 4 saved; choose 1 to 4"):
        draws.report(saved, problems, [16], 4, 0, size=5)
    with pytest.raises(SystemExit, match="--draws: 0 draws; choose 1 or more"):
        draws.report(saved, problems, [16], 4, 0, size=4, draws=0)
