"""Repeated configurations: how many trials each sampler spends on a configuration that an
earlier trial already has, ours against Optuna's, side by side.

A trial of a configuration already tried costs a whole training run and teaches the model
next to nothing. It happens where a space is all categorical (NAS-Bench-201: 15625
architectures), where a continuous optimum lies on the boundary (the sampler proposes the
same corner again), among trials proposed together, and in the initial design of a space of
few configurations (the Sobol sequence's points fall on the same one).

Problems: NAS-Bench-201, SVC on breast cancer and HPOBench australian from
``benchmarks/problems.py``, 100 trials (``--quick``: 50); and two spaces of few
configurations, 16 trials: Branin (scaled to the unit square) on a grid of 5 x 5 values and
Hartmann-3 on 2 x 3 x 4, each coordinate a choice of evenly spaced numbers. Samplers: our
bayesian; ours *repeating*, the baseline: the same sampler taking its best point, or its
design's point, even when a trial has its configuration, which is how it worked before;
Optuna TPE (5.0's defaults) and GP. Concurrency c means batches of c trials, as in
``benchmarks/samplers.py``.

The report gives, per problem and concurrency, each sampler's median number of repeated
trials (the most in one seed) and its median best value (minimised: error or loss).

    python benchmarks/repeats.py --quick  # SVC on breast cancer, c = 16, 3 seeds, 50 trials;
                                          # the grids at c = 16, 3 seeds
    python benchmarks/repeats.py          # 3 problems at c = 1 and 16, grids at 1, 4
                                          # and 16; 10 seeds
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import samplers  # first: it sets the BLAS threads and kernels before numpy loads

# isort: split

import json
from collections.abc import Sequence
from typing import Any

import numpy as np
from environment import describe
from problems import Problem, all_problems, branin, hartmann3, on_grid

from kubesweep.domain.samplers import BayesianSampler
from kubesweep.domain.trials import TrialRecord

SAMPLERS = ("bayesian", "bayesian repeating", "TPE", "GP")
PROBLEMS = ("nasbench201-cifar10", "svc-breast-cancer", "hpobench-australian")
GRID_TRIALS = 16


def grids() -> dict[str, Problem]:
    """Spaces of 25 and 24 configurations."""
    problems = [
        on_grid("branin-5x5", lambda x: branin(x * 15 + [-5, 0]), [5, 5]),
        on_grid("hartmann3-2x3x4", hartmann3, [2, 3, 4]),
    ]
    return {p.name: p for p in problems}


class Repeating(BayesianSampler):
    """Our bayesian sampler taking its best point, or its design's, whatever configuration
    it has (the baseline)."""

    def _first_new(self, points: np.ndarray, taken: set[tuple[object, ...]]) -> None:
        return None

    def _design(
        self, index: int, history: Sequence[TrialRecord], feasibility: Any = None
    ) -> dict[str, Any] | None:
        return self._initial_design.suggest(index, history)


def repeats(configurations: list[dict[str, Any]]) -> int:
    """How many of the configurations an earlier one has already."""
    keys = [json.dumps(c, sort_keys=True) for c in configurations]
    return len(keys) - len(set(keys))


def run(kind: str, name: str, trials: int, concurrency: int, seed: int) -> tuple[int, float]:
    """The run's repeated trials and best value."""
    problem = {**all_problems(), **grids()}[name]
    if kind in ("TPE", "GP"):
        study = samplers.optuna_study(kind, problem, trials, concurrency, seed)
        return repeats([t.params for t in study.trials]), float(study.best_value)
    result = samplers.simulated(
        "bayesian", problem, trials, concurrency, seed,
        baseline=Repeating if kind == "bayesian repeating" else None,
    )  # fmt: skip
    best = result.final_plan.best_trial
    assert best is not None
    return repeats([dict(t.record.parameters) for t in result.trials]), best.metric


Job = tuple[str, str, int, int, int]


def _job(job: Job) -> tuple[Job, tuple[int, float]]:
    name, kind, trials, concurrency, seed = job
    return job, run(kind, name, trials, concurrency, seed)


def report(
    results: dict[Job, tuple[int, float]], jobs: list[Job], seeds: int, trials: int
) -> list[str]:
    """The table of the jobs of ``trials`` trials."""
    lines = [
        f"Trials spent on a configuration an earlier trial has, {trials} trials, {seeds} "
        "seeds: the median number (the most in one seed), then the median best value "
        "(minimised).",
        "",
        *samplers.table_head(SAMPLERS),
    ]
    for name, concurrency in dict.fromkeys((j[0], j[3]) for j in jobs if j[2] == trials):
        cells = []
        for kind in SAMPLERS:
            runs = [results[(name, kind, trials, concurrency, s)] for s in range(seeds)]
            counts = [count for count, _ in runs]
            best = float(np.median([value for _, value in runs]))
            cells.append(f"{np.median(counts):g} ({max(counts)}), {best:.4g}")
        lines.append(f"| {name} | {concurrency} | " + " | ".join(cells) + " |")
    return lines


def main() -> int:
    args = samplers.side_by_side_arguments(__doc__)
    seeds = args.seeds or (3 if args.quick else 10)
    trials = 50 if args.quick else 100
    jobs: list[Job] = [
        (name, kind, trials, c, seed)
        for name in (PROBLEMS[1:2] if args.quick else PROBLEMS)
        for c in ((16,) if args.quick else (1, 16))
        for kind in SAMPLERS
        for seed in range(seeds)
    ]
    jobs += [
        (name, kind, GRID_TRIALS, c, seed)
        for name in grids()
        for c in ((16,) if args.quick else (1, 4, 16))
        for kind in SAMPLERS
        for seed in range(seeds)
    ]
    results, elapsed = samplers.pooled_gp_first(_job, jobs, lambda j: j[1], args.jobs)
    lines = [
        *report(results, jobs, seeds, trials),
        "",
        *report(results, jobs, seeds, GRID_TRIALS),
        "",
        f"Ran in {elapsed:.0f} s.",
        "",
        describe(),
    ]
    samplers.publish(lines, args.output)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
