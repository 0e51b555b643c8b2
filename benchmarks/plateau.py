"""Flat results: how soon each sampler finds the region where the metric moves at all, when
it is the same everywhere else, ours against Optuna's, side by side.

A metric is often flat over most of the space: a validation error stays at chance wherever
training diverges (too high a learning rate, too little regularisation). The problems here
(minimised, on the unit cube) are 1 everywhere except in a bump around a point drawn anew
for each seed from [0.1, 0.9]^d, where the error falls to 0 at its centre:
``1 - exp(-|x - centre|^2 / (2 width^2))`` where that is below 0.95, and 1 elsewhere.

Samplers: ours sobol and bayesian; ours bayesian *on flat results*, the baseline: the same
sampler with its model fitted on results that are all the same, which is how it worked
before it went on with its Sobol design until some result differs; Optuna TPE (5.0's
defaults) and GP. Concurrency c means batches of c trials, as in ``benchmarks/samplers.py``.

The report gives, per problem and concurrency, each sampler's median trial (0-based) of its
first result below 1 (the budget when none), how many seeds found the bump at all, and the
median regret at the end.

    python benchmarks/plateau.py --quick  # the 3-D bump, c = 1, 5 seeds
    python benchmarks/plateau.py          # 3-D and 6-D bumps, c = 1 and 4, 20 seeds
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import samplers  # first: it sets the BLAS threads and kernels before numpy loads

# isort: split

import dataclasses
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from environment import describe
from problems import Param, Problem

from kubesweep.domain.planner import SweepSpec
from kubesweep.domain.samplers import BayesianSampler, Sampler

SAMPLERS = ("sobol", "bayesian", "bayesian on flat results", "TPE", "GP")
# dimensions, width: the bump (error below 0.95, within 2.45 widths of the centre) is 5 %
# of the cube's volume, less where it meets the boundary
PROBLEMS = {"bump-3d": (3, 0.093), "bump-6d": (6, 0.189)}
TRIALS = 60
FLAT = 1.0


def bump(name: str, seed: int) -> Problem:
    dimensions, width = PROBLEMS[name]
    centre = np.random.default_rng([7, seed]).uniform(0.1, 0.9, dimensions)

    def evaluate(parameters: dict[str, Any]) -> float:
        x = np.array([float(parameters[f"x{i}"]) for i in range(dimensions)])
        error = 1.0 - float(np.exp(-np.sum((x - centre) ** 2) / (2 * width**2)))
        return error if error < 0.95 else FLAT

    params = tuple(Param(f"x{i}", "float", 0.0, 1.0) for i in range(dimensions))
    return Problem(name, "plateau", params, evaluate, 0.0)


class ModelOnFlat(BayesianSampler):
    """Our bayesian sampler fitting its model on results that are all the same (the
    baseline)."""

    def _flat(self, observed: list[tuple[int, list[float], float]], failures: bool) -> bool:
        return False


@dataclasses.dataclass(frozen=True)
class ModelOnFlatSpec(SweepSpec):
    def sampler(self) -> Sampler:
        return ModelOnFlat(self.space, seed=self.sampling.seed, objective=self.objective)


def first_and_regret(values: list[float]) -> tuple[int, float]:
    """The trial of the first result below FLAT (len(values) if none), and the best result."""
    first = next((i for i, v in enumerate(values) if v < FLAT), len(values))
    return first, min(values)


def run_ours(kind: str, problem: Problem, concurrency: int, seed: int) -> list[float]:
    baseline = kind == "bayesian on flat results"
    result = samplers.simulated(
        "bayesian" if baseline else kind, problem, TRIALS, concurrency, seed,
        spec_type=ModelOnFlatSpec if baseline else SweepSpec,
    )  # fmt: skip
    return [t.record.history[-1].value for t in sorted(result.trials, key=lambda t: t.record.index)]


def run_optuna(kind: str, problem: Problem, concurrency: int, seed: int) -> list[float]:
    study = samplers.optuna_study(kind, problem, TRIALS, concurrency, seed)
    return [float(t.value) for t in sorted(study.trials, key=lambda t: t.number)]


Job = tuple[str, str, int, int]


def _job(job: Job) -> tuple[Job, tuple[int, float]]:
    name, kind, concurrency, seed = job
    runner: Callable[[str, Problem, int, int], list[float]] = (
        run_optuna if kind in ("TPE", "GP") else run_ours
    )
    return job, first_and_regret(runner(kind, bump(name, seed), concurrency, seed))


def report(results: dict[Job, tuple[int, float]], jobs: list[Job], seeds: int) -> list[str]:
    lines = [
        f"A metric flat (1) outside a bump, {TRIALS} trials, {seeds} seeds: the median trial "
        "of the first result below 1 (0-based; the budget when none), the seeds that found "
        "the bump, and the median regret at the end (smaller is better).",
        "",
        *samplers.table_head(SAMPLERS),
    ]
    for name, concurrency in dict.fromkeys((j[0], j[2]) for j in jobs):
        cells = []
        for kind in SAMPLERS:
            runs = [results[(name, kind, concurrency, s)] for s in range(seeds)]
            firsts = [first for first, _ in runs]
            found = sum(1 for first in firsts if first < TRIALS)
            regret = float(np.median([r for _, r in runs]))
            cells.append(f"{np.median(firsts):g} ({found}/{seeds}), {regret:.3g}")
        lines.append(f"| {name} | {concurrency} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "Each cell: median first trial below 1 (seeds that found the bump), median regret.",
    ]
    return lines


def main() -> int:
    args = samplers.side_by_side_arguments(__doc__)
    seeds = args.seeds or (5 if args.quick else 20)
    names = ("bump-3d",) if args.quick else tuple(PROBLEMS)
    jobs: list[Job] = [
        (name, kind, c, seed)
        for name in names
        for c in ((1,) if args.quick else (1, 4))
        for kind in SAMPLERS
        for seed in range(seeds)
    ]
    started = time.monotonic()
    slowest_first = sorted(jobs, key=lambda j: j[1] != "GP")  # Optuna's GP
    results = dict(samplers.pooled(_job, slowest_first, args.jobs, started))
    elapsed = time.monotonic() - started
    lines = [*report(results, jobs, seeds), "", f"Ran in {elapsed:.0f} s.", "", describe()]
    samplers.publish(lines, args.output)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
