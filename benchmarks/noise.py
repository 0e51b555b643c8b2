"""Noisy metrics: how close each sampler's reported best trial is to the optimum when every
result carries noise, ours against Optuna's, side by side.

A validation metric is noisy: the same configuration trained again (another data order,
another initialisation) scores a little differently. The suite's other problems are
noise-free; here the synthetic functions of ``benchmarks/problems.py`` (minimised, 100
trials) report their value plus Gaussian noise whose standard deviation is ``level`` times
the function's *typical gap*: the median, over 4096 uniformly random points, of the value's
distance above the optimum. At level 0.01 the noise hides differences among good
configurations only; at 0.1 it is a tenth of what separates a random configuration from
the best. The noise of trial number n of seed s is the same draw for every sampler.

Two regrets per sweep, both on the noise-free function:

- *reported*: that of the trial with the best noisy result, the one a sweep reports as its
  best trial (the SweepJob status, Azure ML and Optuna alike);
- *found*: that of the best configuration the sweep tried at all.

Samplers: ours sobol and bayesian; Optuna TPE (5.0's defaults) and GP. Concurrency c
means batches of c trials, as in ``benchmarks/samplers.py``. There is no baseline of ours:
this measures where the samplers stand, no change of ours.

    python benchmarks/noise.py --quick  # branin, hartmann3; both levels; c = 1; 3 seeds; 50 trials
    python benchmarks/noise.py          # the six functions, both levels, c = 1 and 16, 10 seeds
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import samplers  # first: it sets the BLAS threads and kernels before numpy loads

# isort: split

import functools
from collections.abc import Callable
from typing import Any

import numpy as np
import stats
from environment import describe
from problems import Problem, synthetic

SAMPLERS = ("sobol", "bayesian", "TPE", "GP")
LEVELS = (0.01, 0.1)
QUICK_PROBLEMS = ("branin", "hartmann3")
PROBLEMS = {problem.name: problem for problem in synthetic()}
GAP_POINTS = 4096


@functools.cache
def typical_gap(name: str) -> float:
    """The median distance above the optimum of the problem's value at GAP_POINTS uniformly
    random points (a fixed draw): the noise's unit."""
    problem = PROBLEMS[name]
    rng = np.random.default_rng([5, GAP_POINTS])
    lows = np.array([p.low for p in problem.params])
    highs = np.array([p.high for p in problem.params])
    points = lows + rng.random((GAP_POINTS, len(problem.params))) * (highs - lows)
    values = [
        problem.evaluate({p.name: float(v) for p, v in zip(problem.params, point, strict=True)})
        for point in points
    ]
    assert problem.optimum is not None
    return float(np.median(values)) - problem.optimum


def noisy(problem: Problem, level: float, seed: int) -> Callable[[dict[str, Any]], float]:
    """The problem's function plus noise of ``level`` typical gaps, drawn by trial number
    (calls are counted: both sides evaluate their trials in trial order)."""
    sd = level * typical_gap(problem.name)
    calls = [0]

    def evaluate(parameters: dict[str, Any]) -> float:
        number = calls[0]
        calls[0] += 1
        draw = np.random.default_rng([13, seed, number]).standard_normal()
        return problem.evaluate(parameters) + sd * float(draw)

    return evaluate


def run_ours(
    kind: str, problem: Problem, level: float, trials: int, concurrency: int, seed: int
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    result = samplers.simulated(
        kind, problem, trials, concurrency, seed, noisy(problem, level, seed)
    )
    best = result.final_plan.best_trial
    assert best is not None
    return dict(best.parameters), [dict(t.record.parameters) for t in result.trials]


def run_optuna(
    kind: str, problem: Problem, level: float, trials: int, concurrency: int, seed: int
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    study = samplers.optuna_study(
        kind, problem, trials, concurrency, seed, noisy(problem, level, seed)
    )
    return dict(study.best_trial.params), [dict(t.params) for t in study.trials]


Job = tuple[str, float, str, int, int, int]  # problem, level, sampler, trials, c, seed


def _job(job: Job) -> tuple[Job, tuple[float, float]]:
    """The job's reported and found regrets, on the noise-free function."""
    name, level, kind, trials, concurrency, seed = job
    problem = PROBLEMS[name]
    runner = run_ours if kind in ("sobol", "bayesian") else run_optuna
    reported, tried = runner(kind, problem, level, trials, concurrency, seed)
    assert problem.optimum is not None
    regret = [problem.evaluate(p) - problem.optimum for p in tried]
    return job, (problem.evaluate(reported) - problem.optimum, min(regret))


def _ratio(ours: float, other: float) -> str:
    return f"{ours / other:.3g}" if other > 0 else ("1" if ours == 0 else "inf")


def report(
    results: dict[Job, tuple[float, float]], jobs: list[Job], seeds: int, trials: int
) -> list[str]:
    """Per problem, level and concurrency, each sampler's median reported and found regrets
    and ours over the better of TPE and GP; then per level and concurrency, the geometric
    means of those medians over the problems."""
    lines = [
        f"{seeds} seeds, {trials} trials, noise of sd level x the typical gap (in brackets "
        "after the problem). Per cell: median regret of the reported best trial / median "
        "regret of the best configuration tried (smaller is better for both); the ratio is "
        "of reported regrets, ours bayesian over the better of TPE and GP.",
        "",
        "| problem | level | c | " + " | ".join(SAMPLERS) + " | ours / best of TPE, GP |",
        "|---|---|---|" + "---|" * len(SAMPLERS) + "---|",
    ]
    cells = sorted(
        {(name, level, c) for name, level, _, _, c, _ in jobs},
        key=lambda cell: (list(PROBLEMS).index(cell[0]), cell[1], cell[2]),
    )
    summary: dict[tuple[float, int], dict[str, list[tuple[float, float]]]] = {}
    for name, level, c in cells:
        row = {}
        for kind in SAMPLERS:
            runs = [results[(name, level, kind, trials, c, s)] for s in range(seeds)]
            row[kind] = (
                float(np.median([r for r, _ in runs])),
                float(np.median([f for _, f in runs])),
            )
            summary.setdefault((level, c), {}).setdefault(kind, []).append(row[kind])
        rival = min(row["TPE"][0], row["GP"][0])
        lines.append(
            f"| {name} ({typical_gap(name):.3g}) | {level:g} | {c} | "
            + " | ".join(f"{r:.3g} / {f:.3g}" for r, f in row.values())
            + f" | {_ratio(row['bayesian'][0], rival)} |"
        )
    lines += [
        "",
        "Per level and concurrency: geometric mean over the problems of the median "
        "regrets, reported / found:",
        "",
        "| level | c | " + " | ".join(SAMPLERS) + " |",
        "|---|---|" + "---|" * len(SAMPLERS),
    ]
    for (level, c), by_kind in sorted(summary.items()):
        texts = []
        for kind in SAMPLERS:
            reported = stats.geometric_mean([max(r, 1e-12) for r, _ in by_kind[kind]])
            found = stats.geometric_mean([max(f, 1e-12) for _, f in by_kind[kind]])
            texts.append(f"{reported:.3g} / {found:.3g}")
        lines.append(f"| {level:g} | {c} | " + " | ".join(texts) + " |")
    return lines


def main() -> int:
    args = samplers.side_by_side_arguments(__doc__)
    problems = QUICK_PROBLEMS if args.quick else tuple(PROBLEMS)
    seeds = args.seeds or (3 if args.quick else 10)
    trials = 50 if args.quick else 100
    jobs: list[Job] = [
        (name, level, kind, trials, c, seed)
        for name in problems
        for level in LEVELS
        for c in ((1,) if args.quick else (1, 16))
        for kind in SAMPLERS
        for seed in range(seeds)
    ]
    results, elapsed = samplers.pooled_gp_first(_job, jobs, lambda j: j[2], args.jobs)
    lines = [*report(results, jobs, seeds, trials), "", f"Ran in {elapsed:.0f} s.", "", describe()]
    samplers.publish(lines, args.output)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
