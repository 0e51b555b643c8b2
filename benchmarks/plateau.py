"""Flat results: how soon each sampler finds the region where the metric moves at all, when
it is the same everywhere else, ours against Optuna's, side by side.

A metric is often flat over most of the space: a validation error stays at chance wherever
training diverges (too high a learning rate, too little regularisation). The problems here
(minimised, on the unit cube) are 1 everywhere except in a bump around a point drawn anew
for each seed from [0.1, 0.9]^d, where the error falls to 0 at its centre:
``1 - exp(-|x - centre|^2 / (2 width^2))`` where that is below 0.95, and 1 elsewhere.

Samplers: ours sobol and bayesian; ours bayesian *on flat results*, the baseline: the same
sampler with its model fitted on results that are all the same (or look like noise), which
is how it worked before it went on with its Sobol design until some result differs; Optuna
TPE (5.0's defaults) and GP. Concurrency c means batches of c trials, as in
``benchmarks/samplers.py``. Then the same bumps *jittered*: every value times
1 + 1e-7 N(0, 1), as a float32 mean summed in a different order each run differs in its 7th
digit; there the results are never exactly the same, and the baseline is what the sampler
did before it took results within a millionth of each other as the same. Then the same bumps
*noisy*: every value plus Gaussian noise of sd 0.001 (a validation error at chance differs a
little from run to run), the same draw for trial n of a seed whatever the sampler; the
baseline is ours bayesian *without the noise test*, which fits its model as soon as the
results differ at all, as it did before it went on with its design while they look like
noise.

The same bumps with trials that fail, as in ``benchmarks/failures.py``: ``crash``, where
x0 lies more than 3 widths above the centre's (training diverges; the bump stays whole),
and ``flaky``, 10 % of the trial numbers whatever their parameters (a node lost). There
the baseline is ours bayesian *model once a trial failed*: the same sampler going over to
its model, flat results or not, at the first failure, which is how it worked before its
design went on where trials are likely to finish.

The report gives, per problem and concurrency, each sampler's median trial (0-based) of its
first result below 1 (the budget when none), how many seeds found the bump at all, and the
median regret at the end; with failures, also the median number of failed trials.

    python benchmarks/plateau.py --quick  # the 3-D bump, c = 1, 5 seeds, each case
    python benchmarks/plateau.py          # 3-D and 6-D bumps, c = 1 and 4, 20 seeds, each case
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import samplers  # first: it sets the BLAS threads and kernels before numpy loads

# isort: split

from collections.abc import Callable, Sequence
from typing import Any

import failures
import numpy as np
from environment import describe
from problems import Param, Problem

from kubesweep.domain.samplers import BayesianSampler
from kubesweep.domain.space import ParameterValue
from kubesweep.domain.trials import TrialRecord

SAMPLERS = ("sobol", "bayesian", "bayesian on flat results", "TPE", "GP")
NOISY_SAMPLERS = ("sobol", "bayesian", "bayesian without the noise test", "TPE", "GP")
FAILING_SAMPLERS = ("sobol", "bayesian", "bayesian model once a trial failed", "TPE", "GP")
CASES = ("", "jittered", "noisy", "crash", "flaky")  # "": the bump as it is
FAILING = ("crash", "flaky")
JITTER = 1e-7
NOISE = 0.001
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


def case_function(name: str, case: str, seed: int) -> Callable[[dict[str, Any]], float]:
    """The bump's function as the case has it: jittered, or raising TrialFailedError where
    it fails (calls are counted: both sides evaluate their trials in trial order)."""
    problem = bump(name, seed)
    _, width = PROBLEMS[name]
    threshold = np.random.default_rng([7, seed]).uniform(0.1, 0.9, 1)[0] + 3 * width
    calls = [0]

    def evaluate(parameters: dict[str, Any]) -> float:
        number = calls[0]
        calls[0] += 1
        if case == "crash" and float(parameters["x0"]) > threshold:
            raise failures.TrialFailedError("diverged")
        if case == "flaky" and failures.lost(seed, number):
            raise failures.TrialFailedError("node lost")
        if case == "jittered":
            noise = np.random.default_rng([11, seed, number]).standard_normal()
            return problem.evaluate(parameters) * (1.0 + JITTER * noise)
        if case == "noisy":
            noise = np.random.default_rng([13, seed, number]).standard_normal()
            return problem.evaluate(parameters) + NOISE * noise
        return problem.evaluate(parameters)

    return evaluate


class NoNoiseTest(BayesianSampler):
    """Our bayesian sampler fitting its model on results that look like noise (the
    baseline where every result is noisy)."""

    def _noise(self, *args: object, **kwargs: object) -> bool:
        return False


class ModelOnFlat(NoNoiseTest):
    """Our bayesian sampler fitting its model on results that are all the same, or that
    look like noise (the baseline)."""

    def _flat(self, observed: list[tuple[int, list[float], float]]) -> bool:
        return False


class ModelOnceFailed(BayesianSampler):
    """Our bayesian sampler going over to its model, flat results or not, once a trial has
    failed (the baseline where trials fail)."""

    def suggest(
        self, index: int, history: Sequence[TrialRecord]
    ) -> dict[str, ParameterValue] | None:
        self._none_failed = not any(record.phase.failed for record in history)
        return super().suggest(index, history)

    def _flat(self, observed: list[tuple[int, list[float], float]]) -> bool:
        return self._none_failed and super()._flat(observed)


BASELINES: dict[str, samplers.Baseline] = {
    "bayesian on flat results": ModelOnFlat,
    "bayesian without the noise test": NoNoiseTest,
    "bayesian model once a trial failed": ModelOnceFailed,
}


Result = tuple[int, float, int]


def first_regret_failed(values: list[float | None]) -> Result:
    """The trial of the first value below FLAT (len(values) if none), the best value, and
    how many trials failed (None: no result)."""
    first = next((i for i, v in enumerate(values) if v is not None and v < FLAT), len(values))
    results = [v for v in values if v is not None]
    return first, min(results, default=FLAT), len(values) - len(results)


def run_ours(
    kind: str, problem: Problem, evaluate: Callable[[dict[str, Any]], float], concurrency: int,
    seed: int,
) -> list[dict[str, Any] | None]:  # fmt: skip
    result = samplers.simulated(
        "sobol" if kind == "sobol" else "bayesian", problem, TRIALS, concurrency, seed,
        evaluate, BASELINES.get(kind),
    )  # fmt: skip
    trials = sorted(result.trials, key=lambda t: t.record.index)
    return [dict(t.record.parameters) if t.record.history else None for t in trials]


def run_optuna(
    kind: str, problem: Problem, evaluate: Callable[[dict[str, Any]], float], concurrency: int,
    seed: int,
) -> list[dict[str, Any] | None]:  # fmt: skip
    study = samplers.optuna_study(kind, problem, TRIALS, concurrency, seed, evaluate)
    trials = sorted(study.trials, key=lambda t: t.number)
    return [None if t.value is None else t.params for t in trials]


Job = tuple[str, str, str, int, int]  # problem, case, sampler, concurrency, seed


def _job(job: Job) -> tuple[Job, Result]:
    name, case, kind, concurrency, seed = job
    runner = run_optuna if kind in ("TPE", "GP") else run_ours
    problem = bump(name, seed)
    trials = runner(kind, problem, case_function(name, case, seed), concurrency, seed)
    # judged by the bump itself (a jittered value of 1 may fall below 1)
    return job, first_regret_failed([None if p is None else problem.evaluate(p) for p in trials])


def report(results: dict[Job, Result], jobs: list[Job], seeds: int) -> list[str]:
    lines = [
        f"A metric flat (1) outside a bump, {TRIALS} trials, {seeds} seeds: the median trial "
        "of the first result below 1 (0-based; the budget when none), the seeds that found "
        "the bump, and the median regret at the end (smaller is better).",
        "",
        *samplers.table_head(SAMPLERS),
        *_rows(results, jobs, seeds, ""),
        *_rows(results, jobs, seeds, "jittered"),
        "",
        "Each cell: median first trial below 1 (seeds that found the bump), median regret.",
    ]
    if any(job[1] == "noisy" for job in jobs):
        lines += [
            "",
            f"The same bumps with Gaussian noise of sd {NOISE:g} on every result (found and "
            "regret judged on the bump itself).",
            "",
            *samplers.table_head(NOISY_SAMPLERS),
            *_rows(results, jobs, seeds, "noisy"),
        ]
    if any(job[1] in FAILING for job in jobs):
        lines += [
            "",
            "The same where trials fail (crash: where x0 lies more than 3 widths above the "
            "centre's; flaky: 10 % of the trial numbers); a failed trial has no result.",
            "",
            *samplers.table_head(FAILING_SAMPLERS),
            *(row for case in FAILING for row in _rows(results, jobs, seeds, case)),
            "",
            "Each cell: median first trial below 1 (seeds that found the bump), median "
            "regret, median failed trials.",
        ]
    return lines


def _samplers(case: str) -> tuple[str, ...]:
    if case in FAILING:
        return FAILING_SAMPLERS
    return NOISY_SAMPLERS if case == "noisy" else SAMPLERS


def _rows(results: dict[Job, Result], jobs: list[Job], seeds: int, case: str) -> list[str]:
    rows = []
    kinds = _samplers(case)
    for name, concurrency in dict.fromkeys((j[0], j[3]) for j in jobs if j[1] == case):
        cells = []
        for kind in kinds:
            runs = [results[(name, case, kind, concurrency, s)] for s in range(seeds)]
            firsts = [first for first, _, _ in runs]
            found = sum(1 for first in firsts if first < TRIALS)
            regret = float(np.median([r for _, r, _ in runs]))
            cell = f"{np.median(firsts):g} ({found}/{seeds}), {regret:.3g}"
            if case in FAILING:
                cell += f", {np.median([failed for *_, failed in runs]):g}"
            cells.append(cell)
        problem = f"{name} {case}" if case else name
        rows.append(f"| {problem} | {concurrency} | " + " | ".join(cells) + " |")
    return rows


def main() -> int:
    args = samplers.side_by_side_arguments(__doc__)
    seeds = args.seeds or (5 if args.quick else 20)
    names = ("bump-3d",) if args.quick else tuple(PROBLEMS)
    jobs: list[Job] = [
        (name, case, kind, c, seed)
        for case in CASES
        for name in names
        for c in ((1,) if args.quick else (1, 4))
        for kind in _samplers(case)
        for seed in range(seeds)
    ]
    results, elapsed = samplers.pooled_gp_first(_job, jobs, lambda j: j[2], args.jobs)
    lines = [*report(results, jobs, seeds), "", f"Ran in {elapsed:.0f} s.", "", describe()]
    samplers.publish(lines, args.output)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
