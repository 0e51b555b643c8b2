"""Quantised parameters: whether our bayesian's model should expect worse than the worst
result where it knows nothing (the pessimistic prior mean, ``PESSIMISM`` standard deviations
of the results below the worst of them) in a space of finitely many configurations.

The sampler takes the pessimistic prior mean where some parameter is continuous or an
ordered number (quniform, qloguniform, randint) of more than 32 values (``COARSE_VALUES``), and
the prior at the results' mean where every parameter takes few values (the suite's tabular
problems, where the pessimistic prior kept the search among the configurations it knew).
This benchmark runs both priors side by side on Ackley-5, Levy-4 and Rosenbrock-4 with each
coordinate a quniform of 21, 41 or 101 evenly spaced values (each grid holds the optimum),
at concurrency 1 and 16, 100 trials, 20 seeds, and our bayesian on the continuous function
as a reference: per problem, level and concurrency the median regret of each prior, how
many seeds found the grid's best configuration, and the ratio of the medians (worst over
mean; regrets floored at ``FLOOR``); then per level and concurrency the geometric mean of
the ratios and the seeds that found the grid's best, summed over the problems.

    python benchmarks/quantised.py --quick  # 101 values, c = 16, 3 seeds, 50 trials
    python benchmarks/quantised.py          # 21, 41 and 101 values, c = 1 and 16, 20 seeds
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import samplers  # first: it sets the BLAS threads and kernels before numpy loads

# isort: split

from typing import Any

import numpy as np
from environment import describe
from problems import Problem, quantised, synthetic

from kubesweep.domain.samplers import BayesianSampler

PROBLEMS = ("ackley5", "levy4", "rosenbrock4")
STEPS = (20, 40, 100)  # 21, 41 and 101 values per coordinate
SAMPLERS = ("worst", "mean", "continuous")
FLOOR = 1e-6  # regrets below count as this much in the ratios (the grid's best is 0)
FOUND = 1e-9  # a regret below: the grid's best configuration


class _Prior(BayesianSampler):
    pessimistic = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pessimistic = self.pessimistic


class Worst(_Prior):
    """Our bayesian with the pessimistic prior mean, whatever the space."""


class Mean(_Prior):
    """Our bayesian with the prior at the results' mean, whatever the space."""

    pessimistic = False


def problem(name: str, steps: int | None) -> Problem:
    """The synthetic problem ``name``, quantised to ``steps + 1`` values unless None."""
    continuous = {p.name: p for p in synthetic()}[name]
    return continuous if steps is None else quantised(continuous, steps)


def taken(steps: int) -> str:
    """The prior our sampler takes where each parameter has ``steps + 1`` values: its own
    rule, asked of it ("worst" or "mean")."""
    space = problem(PROBLEMS[0], steps).space()
    return "worst" if BayesianSampler(space, seed=0)._pessimistic else "mean"


Job = tuple[str, str, int, int, int, int]  # problem, sampler, steps, trials, c, seed


def _job(job: Job) -> tuple[Job, float]:
    name, kind, steps, trials, concurrency, seed = job
    if kind == "continuous":
        target = problem(name, None)
        best = samplers.run_ours("bayesian", target, trials, concurrency, seed)
    else:
        target = problem(name, steps)
        baseline = Worst if kind == "worst" else Mean
        best = samplers.run_ours("bayesian", target, trials, concurrency, seed, baseline)
    optimum = target.optimum
    assert optimum is not None
    return job, best - optimum


def report(
    results: dict[Job, float], levels: list[int], levels_c: list[int], seeds: int, trials: int
) -> list[str]:
    """The per-problem table and the geometric means."""
    lines = [
        f"Median regret after {trials} trials over {seeds} seeds (found: seeds whose best "
        "trial is the grid's best configuration); worst / mean: the ratio of the medians, "
        f"regrets floored at {FLOOR:g}; the prior the sampler takes at each level in "
        "brackets. Continuous: our bayesian on the function itself (pessimistic prior).",
        "",
        "| problem | values | c | worst prior | found | mean prior | found | worst / mean "
        "| continuous |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    ratios: dict[tuple[int, int], list[float]] = {}
    found: dict[tuple[int, int, str], int] = {}
    for name in PROBLEMS:
        for steps in levels:
            chosen = taken(steps)
            for c in levels_c:
                cells = []
                medians = {}
                for kind in SAMPLERS:
                    regrets = np.array(
                        [results[(name, kind, steps, trials, c, s)] for s in range(seeds)]
                    )
                    medians[kind] = float(np.median(regrets))
                    cells.append(f"{medians[kind]:.3g}")
                    if kind != "continuous":
                        count = int((regrets < FOUND).sum())
                        found[(steps, c, kind)] = found.get((steps, c, kind), 0) + count
                        cells.append(str(count))
                ratio = max(medians["worst"], FLOOR) / max(medians["mean"], FLOOR)
                ratios.setdefault((steps, c), []).append(ratio)
                cells.insert(4, f"{ratio:.2f}")
                row = f"| {name} | {steps + 1} ({chosen}) | {c} | "
                lines.append(row + " | ".join(cells) + " |")
    lines += [
        "",
        "Geometric mean over the problems of worst / mean, and the seeds that found the grid's "
        f"best configuration, summed over the problems (of {len(PROBLEMS) * seeds}):",
        "",
        "| values | c | worst / mean | found, worst prior | found, mean prior | the sampler "
        "takes |",
        "|---|---|---|---|---|---|",
    ]
    for (steps, c), values in ratios.items():
        chosen = taken(steps)
        mean = float(np.exp(np.mean(np.log(values))))
        lines.append(
            f"| {steps + 1} | {c} | {mean:.2f} | {found[(steps, c, 'worst')]} | "
            f"{found[(steps, c, 'mean')]} | {chosen} |"
        )
    return lines


def main() -> int:
    args = samplers.side_by_side_arguments(__doc__)
    seeds = args.seeds or (3 if args.quick else 20)
    trials = 50 if args.quick else 100
    levels = [100] if args.quick else list(STEPS)
    levels_c = [16] if args.quick else [1, 16]
    jobs: list[Job] = [
        (name, kind, steps, trials, c, seed)
        for name in PROBLEMS
        for steps in levels
        for c in levels_c
        for kind in SAMPLERS
        for seed in range(seeds)
        if kind != "continuous" or steps == levels[0]
    ]
    results, elapsed = samplers.pooled_gp_first(_job, jobs, lambda j: j[1], args.jobs)
    # the continuous reference runs once per problem, c and seed: every level shows it
    for (name, kind, _steps, t, c, seed), regret in list(results.items()):
        if kind == "continuous":
            for steps in levels:
                results[(name, kind, steps, t, c, seed)] = regret
    lines = report(results, levels, levels_c, seeds, trials)
    samplers.publish([*lines, "", f"Ran in {elapsed:.0f} s.", "", describe()], args.output)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
