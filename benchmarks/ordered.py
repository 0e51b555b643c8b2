"""Choices of numbers: whether our bayesian should model ``choice(16, 32, 64, 128)`` as an
ordered parameter (one feature, each value at its rank) or as a category (one indicator per
value), as it models a choice of names.

Azure's bayesian sampling admits choice, uniform and quniform, so a batch size, a number of
layers or a learning rate listed by hand is a choice of numbers. Here the suite's two tabular
benchmarks with ordered numeric parameters (HPOBench australian, HPOLib naval propulsion)
are written that way, each such parameter a ``choice`` of its values (the suite's own runs
give them as ``randint`` over the positions), and two synthetic functions on grids of
choices: Hartmann-6 on 5 values per coordinate and Levy-4 on 21 (which holds its optimum).
Our bayesian with each model of a choice of numbers runs side by side with Optuna's TPE and
GP, which are given the same choices (``CategoricalDistribution``), at concurrency 1 and 16,
100 trials: per problem and concurrency the median regret against the space's best
configuration, the seeds that found it, and the ratios ordered / category and ordered / the
better rival (regrets floored at ``FLOOR``); then geometric means per concurrency.

    python benchmarks/ordered.py --quick  # Hartmann-6 grid and australian, c = 16, 3 seeds
    python benchmarks/ordered.py          # four problems, c = 1 and 16, 20 seeds
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import samplers  # first: it sets the BLAS threads and kernels before numpy loads

# isort: split

import dataclasses
import functools
import itertools
from typing import Any

import numpy as np
from environment import describe
from problems import Problem, hartmann6, levy, on_grid, tabular

from kubesweep.domain.samplers import BayesianSampler
from kubesweep.domain.samplers._bayesian import Encoding

PROBLEMS = ("hpobench-australian", "hpolib-naval-propulsion", "hartmann6-grid5", "levy4-grid21")
QUICK_PROBLEMS = ("hpobench-australian", "hartmann6-grid5")
SAMPLERS = ("ordered", "category", "TPE", "GP")
FLOOR = 1e-6  # regrets below count as this much in the ratios (the space's best is 0)
FOUND = 1e-9  # a regret below: the space's best configuration


class Category(BayesianSampler):
    """Our bayesian modelling every choice as a category, one indicator per value. Only the
    encoding is swapped: the prior mean keeps the sampler's rule, which for a choice of at
    most 32 numbers (every problem here) is the average either way."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._encoding = Encoding(self._space, ordered=False)


def as_choices(problem: Problem) -> Problem:
    """``problem`` with each ordered numeric parameter (the suite's ``index``) a choice of
    its values."""
    indexed = [p for p in problem.params if p.kind == "index"]

    def evaluate(parameters: dict[str, Any]) -> float:
        positions = {p.name: p.choices.index(parameters[p.name]) for p in indexed}
        return problem.evaluate({**parameters, **positions})

    params = tuple(
        dataclasses.replace(p, kind="category") if p.kind == "index" else p for p in problem.params
    )
    return dataclasses.replace(problem, params=params, evaluate=evaluate)


def _grid(name: str, function: Any, dimensions: int, values: int) -> Problem:
    """``function`` on a grid of ``values`` per coordinate of the unit cube, with the grid's
    best value (found by trying every configuration) as the optimum."""
    problem = on_grid(name, function, [values] * dimensions)
    axis = np.linspace(0.0, 1.0, values)
    best = min(function(np.array(point)) for point in itertools.product(axis, repeat=dimensions))
    return dataclasses.replace(problem, optimum=best)


@functools.cache
def problems() -> dict[str, Problem]:
    tables = {p.name: as_choices(p) for p in tabular() if p.name in PROBLEMS}
    grids = [
        _grid("hartmann6-grid5", hartmann6, 6, 5),
        _grid("levy4-grid21", lambda x: levy(x * 20.0 - 10.0), 4, 21),
    ]
    return {**tables, **{p.name: p for p in grids}}


Job = tuple[str, str, int, int, int]  # problem, sampler, trials, c, seed


def _job(job: Job) -> tuple[Job, float]:
    name, kind, trials, concurrency, seed = job
    problem = problems()[name]
    if kind in ("TPE", "GP"):
        best = samplers.run_optuna(kind, problem, trials, concurrency, seed)
    else:
        baseline = Category if kind == "category" else None
        best = samplers.run_ours("bayesian", problem, trials, concurrency, seed, baseline)
    optimum = problem.optimum
    assert optimum is not None
    return job, max(best - optimum, 0.0)


def _ratio(a: float, b: float) -> float:
    return max(a, FLOOR) / max(b, FLOOR)


def report(
    results: dict[Job, float], names: list[str], levels: list[int], seeds: int, trials: int
) -> list[str]:
    """The per-problem table and the geometric means."""
    lines = [
        f"Median regret after {trials} trials over {seeds} seeds against the space's best "
        "configuration, and (in brackets) the seeds that found it; ordered / category and "
        f"ordered / rival: ratios of the medians (regrets floored at {FLOOR:g}), the rival "
        "the better of TPE and GP on that problem.",
        "",
        "| problem | c | ordered | category | TPE | GP | ordered / category | ordered / rival |",
        "|---|---|---|---|---|---|---|---|",
    ]
    ratios: dict[int, list[tuple[float, float]]] = {}
    for name in names:
        for c in levels:
            medians, cells = {}, []
            for kind in SAMPLERS:
                regrets = np.array([results[(name, kind, trials, c, s)] for s in range(seeds)])
                medians[kind] = float(np.median(regrets))
                cells.append(f"{medians[kind]:.3g} ({int((regrets < FOUND).sum())})")
            rival = min(medians["TPE"], medians["GP"])
            pair = (
                _ratio(medians["ordered"], medians["category"]),
                _ratio(medians["ordered"], rival),
            )
            ratios.setdefault(c, []).append(pair)
            lines.append(
                f"| {name} | {c} | " + " | ".join(cells) + f" | {pair[0]:.2f} | {pair[1]:.2f} |"
            )
    lines += [
        "",
        "Geometric mean over the problems:",
        "",
        "| c | ordered / category | ordered / rival |",
        "|---|---|---|",
    ]
    for c, pairs in ratios.items():
        means = np.exp(np.mean(np.log(np.array(pairs)), axis=0))
        lines.append(f"| {c} | {means[0]:.2f} | {means[1]:.2f} |")
    return lines


def main() -> int:
    args = samplers.side_by_side_arguments(__doc__)
    seeds = args.seeds or (3 if args.quick else 20)
    trials = 50 if args.quick else 100
    names = list(QUICK_PROBLEMS if args.quick else PROBLEMS)
    levels = [16] if args.quick else [1, 16]
    jobs: list[Job] = [
        (name, kind, trials, c, seed)
        for name in names
        for c in levels
        for kind in SAMPLERS
        for seed in range(seeds)
    ]
    problems()  # the grids' best values, once, before the pool forks
    results, elapsed = samplers.pooled_gp_first(_job, jobs, lambda j: j[1], args.jobs)
    lines = report(results, names, levels, seeds, trials)
    samplers.publish([*lines, "", f"Ran in {elapsed:.0f} s.", "", describe()], args.output)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
