"""The choices-of-numbers benchmark (benchmarks/ordered.py): its problems, its two models of a
choice of numbers, and its report."""

from __future__ import annotations

import itertools
import sys
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from kubesweep.domain.samplers import BayesianSampler
from kubesweep.domain.space import Choice, RandInt
from kubesweep.domain.trials import Goal, Objective
from tests.unit.conftest import load_benchmark


@pytest.fixture(scope="module")
def ordered() -> Iterator[ModuleType]:
    yield from load_benchmark("ordered")


def test_a_table_s_ordered_columns_become_choices_of_their_values(ordered: ModuleType) -> None:
    problems = sys.modules["problems"]  # benchmarks/problems.py, which the benchmark loaded
    seen: list[dict[str, Any]] = []

    def evaluate(parameters: dict[str, Any]) -> float:
        seen.append(parameters)
        return float(parameters["units"]) + (parameters["act"] == "tanh")

    table = problems.Problem(
        "table",
        "tabular",
        (
            problems.Param("units", "index", choices=(16, 32, 64, 128)),
            problems.Param("act", "category", choices=("relu", "tanh")),
        ),
        evaluate,
        0.0,
    )
    as_choices = ordered.as_choices(table)
    space = dict(as_choices.space())
    assert space["units"] == Choice((16, 32, 64, 128))
    assert space["act"] == Choice(("relu", "tanh"))
    assert dict(table.space())["units"] == RandInt(4)
    # the table is still looked up by position
    assert as_choices.evaluate({"units": 64, "act": "tanh"}) == 3.0
    assert seen == [{"units": 2, "act": "tanh"}]


def test_a_grid_s_optimum_is_its_best_configuration(ordered: ModuleType) -> None:
    def function(x: np.ndarray) -> float:
        return float(((x - 0.3) ** 2).sum())

    grid = ordered._grid("bowl", function, 2, 3)
    space = grid.space()
    assert [d for _, d in space] == [Choice((0.0, 0.5, 1.0))] * 2
    points = itertools.product((0.0, 0.5, 1.0), repeat=2)
    values = [grid.evaluate({"x0": a, "x1": b}) for a, b in points]
    assert grid.optimum == pytest.approx(min(values)) == pytest.approx(2 * 0.2**2)


def test_the_category_model_sees_each_value_of_a_choice_of_numbers(ordered: ModuleType) -> None:
    space = ordered._grid("bowl", lambda x: float(x.sum()), 3, 5).space()
    objective = Objective("f", Goal.MINIMIZE)
    as_ranks = BayesianSampler(space, seed=0, objective=objective)
    as_categories = ordered.Category(space, seed=0, objective=objective)
    assert as_ranks._encoding.width == 3
    assert as_ranks._encoding.indicators == []
    assert as_categories._encoding.width == 15
    assert as_categories._encoding.indicators == [(0, 5), (1, 5), (2, 5)]


def test_the_report_gives_every_problem_and_concurrency(ordered: ModuleType) -> None:
    seeds, trials, names, levels = 3, 100, ["p", "q"], [1, 16]
    regrets = {"ordered": [0.0, 0.1, 0.5], "category": [0.1, 0.2, 0.3], "TPE": [1.0] * 3}
    results = {
        (name, kind, trials, c, seed): regrets.get(kind, [2.0] * 3)[seed]
        for name in names
        for c in levels
        for kind in ordered.SAMPLERS
        for seed in range(seeds)
    }
    lines = ordered.report(results, names, levels, seeds, trials)
    rows = [line for line in lines if line.startswith("| ") and "| c |" not in line]
    assert rows[:4] == [
        f"| {name} | {c} | 0.1 (1) | 0.2 (0) | 1 (0) | 2 (0) | 0.50 | 0.10 |"
        for name in names
        for c in levels
    ]
    assert rows[4:] == ["| 1 | 0.50 | 0.10 |", "| 16 | 0.50 | 0.10 |"]
    # a regret of 0 counts as FLOOR in the ratios
    results[("p", "ordered", trials, 1, 1)] = 0.0
    lines = ordered.report(results, ["p"], [1], seeds, trials)
    assert "| p | 1 | 0 (2) | 0.2 (0) | 1 (0) | 2 (0) | 0.00 | 0.00 |" in lines
    assert ordered._ratio(0.0, 0.2) == pytest.approx(ordered.FLOOR / 0.2)
