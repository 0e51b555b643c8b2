"""Trials that fail: how many trials each sampler spends on configurations that fail, and
the regret it reaches all the same, ours against Optuna's, side by side.

Cases, on synthetic functions of ``benchmarks/problems.py`` (minimised, 100 trials):

- ``crash``: a trial fails where one coordinate lies more than 0.1 of its range above its
  value at the optimum, as training diverges at a learning rate a little above the best
  one. The optimum is 0.1 from the region that fails, and 15-36 % of the space fails.
- ``flaky``: a trial fails with probability 0.1 whatever its parameters (a node lost, a
  preemption): the same trial numbers fail for every sampler of one seed. Failures here
  carry no information, and a sampler should lose little to them.

Samplers: ours random and bayesian; ours bayesian *blind*, the baseline: the same sampler
with the failed trials hidden from it, which is how it worked before it modelled failures,
and how Optuna's samplers treat them; Optuna TPE (5.0's defaults) and GP, told of every
failure (``TrialState.FAIL``; both leave failed trials out of their models). Concurrency c
means batches of c trials, as in ``benchmarks/samplers.py``.

The report gives, per case, problem and concurrency, each sampler's median number of failed
trials and median regret, over the seeds.

    python benchmarks/failures.py --quick  # 2 problems, both cases, c = 1, 16, 3 seeds, 50 trials
    python benchmarks/failures.py          # crash on 5 problems, flaky on 3, c = 1, 16, 10 seeds
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import samplers  # first: it sets the BLAS threads and kernels before numpy loads

# isort: split

import hashlib
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import stats
from environment import describe
from problems import Problem, synthetic

from kubesweep.domain.samplers import BayesianSampler
from kubesweep.domain.space import ParameterValue
from kubesweep.domain.trials import TrialRecord

SAMPLERS = ("random", "bayesian", "bayesian blind", "TPE", "GP")
CASES = ("crash", "flaky")
FLAKY = 0.1
CRASH = {
    # problem: (coordinate, its value at the optimum on the unit scale)
    "branin": (0, (np.pi + 5) / 15),  # the optimum at x0 = pi (another is at -pi)
    "hartmann3": (1, 0.555649),
    "hartmann6": (5, 0.6573),
    "rosenbrock4": (0, 0.75),
    "levy4": (0, 0.55),
}
FLAKY_PROBLEMS = ("branin", "hartmann6", "levy4")
QUICK_PROBLEMS = ("branin", "hartmann6")
PROBLEMS = {problem.name: problem for problem in synthetic()}


class TrialFailedError(Exception):
    pass


def failing(problem: Problem, case: str, seed: int) -> Callable[[dict[str, Any]], float]:
    """The problem's function, raising TrialFailedError where the case fails: past the crash
    threshold, or on the flaky case's trial numbers (calls are counted: both sides
    evaluate their trials in trial order)."""
    calls = [0]

    def evaluate(parameters: dict[str, Any]) -> float:
        number = calls[0]
        calls[0] += 1
        if case == "crash":
            coordinate, optimum = CRASH[problem.name]
            param = problem.params[coordinate]
            unit = (float(parameters[param.name]) - param.low) / (param.high - param.low)
            if unit > optimum + 0.1:
                raise TrialFailedError("diverged")
        elif lost(seed, number):
            raise TrialFailedError("node lost")
        return problem.evaluate(parameters)

    return evaluate


def lost(seed: int, number: int) -> bool:
    """Whether the flaky case fails trial ``number`` (0-based) of a sweep of ``seed``: with
    probability FLAKY, the same for every sampler."""
    digest = hashlib.sha256(f"{seed}/{number}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < FLAKY


class Blind(BayesianSampler):
    """Our bayesian sampler never seeing failed trials (the baseline)."""

    def suggest(
        self, index: int, history: Sequence[TrialRecord]
    ) -> dict[str, ParameterValue] | None:
        return super().suggest(index, [r for r in history if not r.phase.failed])


def run_ours(
    kind: str, problem: Problem, case: str, trials: int, concurrency: int, seed: int
) -> tuple[float, int]:
    blind = kind == "bayesian blind"
    result = samplers.simulated(
        "bayesian" if blind else kind, problem, trials, concurrency, seed,
        failing(problem, case, seed), Blind if blind else None,
    )  # fmt: skip
    failed = sum(1 for t in result.trials if t.record.phase.failed)
    best = result.final_plan.best_trial
    return (np.inf if best is None else best.metric - problem.optimum), failed


def run_optuna(
    kind: str, problem: Problem, case: str, trials: int, concurrency: int, seed: int
) -> tuple[float, int]:
    from optuna.trial import TrialState

    study = samplers.optuna_study(
        kind, problem, trials, concurrency, seed, failing(problem, case, seed)
    )
    completed = study.get_trials(states=(TrialState.COMPLETE,))
    best = min((t.value for t in completed), default=np.inf)
    return best - problem.optimum, len(study.get_trials(states=(TrialState.FAIL,)))


Job = tuple[str, str, str, int, int, int]


def _job(job: Job) -> tuple[Job, tuple[float, int]]:
    name, case, kind, trials, concurrency, seed = job
    problem = PROBLEMS[name]
    runner = run_ours if kind in ("random", "bayesian", "bayesian blind") else run_optuna
    return job, runner(kind, problem, case, trials, concurrency, seed)


def _ratio(ours: float, other: float) -> str:
    return f"{ours / other:.3g}" if other > 0 else ("1" if ours == 0 else "inf")


def report(
    results: dict[Job, tuple[float, int]], jobs: list[Job], seeds: int, trials: int
) -> list[str]:
    """Per case, problem and concurrency, each sampler's median failed trials and median
    regret; then per case and concurrency, the failed trials summed over problems and the
    geometric mean of the median regrets."""
    lines = [
        f"{seeds} seeds, {trials} trials. Per cell: median failed trials / median simple "
        "regret over the seeds (smaller is better for both). *blind*: our bayesian with the "
        "failed trials hidden from it (the baseline); ratios are of median regrets.",
        "",
        "| case | problem | c | "
        + " | ".join(SAMPLERS)
        + " | ours / blind | ours / best of TPE, GP |",
        "|---|---|---|" + "---|" * len(SAMPLERS) + "---|---|",
    ]
    cells = sorted(
        {(case, name, c) for name, case, _, _, c, _ in jobs},
        key=lambda cell: (CASES.index(cell[0]), list(CRASH).index(cell[1]), cell[2]),
    )
    summary: dict[tuple[str, int], dict[str, list[tuple[float, float]]]] = {}
    for case, name, c in cells:
        row = {}
        for kind in SAMPLERS:
            runs = [results[(name, case, kind, trials, c, s)] for s in range(seeds)]
            row[kind] = (
                float(np.median([f for _, f in runs])),
                float(np.median([r for r, _ in runs])),
            )
            summary.setdefault((case, c), {}).setdefault(kind, []).append(row[kind])
        ours, blind, rival = (
            row["bayesian"][1],
            row["bayesian blind"][1],
            min(row["TPE"][1], row["GP"][1]),
        )
        lines.append(
            f"| {case} | {name} | {c} | "
            + " | ".join(f"{f:g} / {r:.3g}" for f, r in row.values())
            + f" | {_ratio(ours, blind)} | {_ratio(ours, rival)} |"
        )
    lines += [
        "",
        "Per case and concurrency: failed trials (sum of the medians over the problems) / "
        "geometric mean of the median regrets:",
        "",
        "| case | c | " + " | ".join(SAMPLERS) + " |",
        "|---|---|" + "---|" * len(SAMPLERS),
    ]
    for (case, c), by_kind in summary.items():
        cells_text = []
        for kind in SAMPLERS:
            failed = sum(f for f, _ in by_kind[kind])
            regret = stats.geometric_mean([max(r, 1e-12) for _, r in by_kind[kind]])
            cells_text.append(f"{failed:g} / {regret:.3g}")
        lines.append(f"| {case} | {c} | " + " | ".join(cells_text) + " |")
    return lines


def main() -> int:
    args = samplers.side_by_side_arguments(__doc__)
    problems = QUICK_PROBLEMS if args.quick else tuple(CRASH)
    seeds = args.seeds or (3 if args.quick else 10)
    trials = 50 if args.quick else 100
    jobs: list[Job] = [
        (name, case, kind, trials, c, seed)
        for case in CASES
        for name in problems
        if case == "crash" or name in FLAKY_PROBLEMS
        for c in (1, 16)
        for kind in SAMPLERS
        for seed in range(seeds)
    ]
    results, _ = samplers.pooled_gp_first(_job, jobs, lambda j: j[2], args.jobs)
    lines = [*report(results, jobs, seeds, trials), "", describe()]
    samplers.publish(lines, args.output)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
