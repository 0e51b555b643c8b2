"""Sampler quality, ours against Optuna's, side by side in one process.

Both sides get the same functions, search spaces (uniform boxes), budgets, concurrency and
seeds. Concurrency c means batches: c trials are proposed before any of them reports
(ours through the planner, which counts the batch as pending; Optuna through ask() c times,
then tell()). The figure is the simple regret after the budget: best value found minus the
known optimum (smaller is better), medians over seeds, and the ratio ours / Optuna's best.

    python benchmarks/samplers.py --quick        # 2 functions, 3 seeds, 30 trials
    python benchmarks/samplers.py                # 5 functions, 10 seeds, 100 trials

Optuna's GP sampler needs torch, which this project does not install; TPE, QMC and Random
are compared. Optuna is a benchmark-only dependency: pip install '.[bench]'.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from kubesweep.domain.planner import Limits, SweepSpec
from kubesweep.domain.samplers import SamplingConfig, SamplingRule, SamplingType
from kubesweep.domain.simulation import simulate
from kubesweep.domain.space import SearchSpace, Uniform
from kubesweep.domain.trials import Goal, Objective


@dataclass(frozen=True)
class Problem:
    name: str
    bounds: list[tuple[float, float]]
    function: Callable[[np.ndarray], float]
    optimum: float


def branin(x: np.ndarray) -> float:
    a, b, c, r, s, t = 1, 5.1 / (4 * math.pi**2), 5 / math.pi, 6, 10, 1 / (8 * math.pi)
    return float(a * (x[1] - b * x[0] ** 2 + c * x[0] - r) ** 2 + s * (1 - t) * math.cos(x[0]) + s)


_H6_A = np.array([[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14],
                  [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]])  # fmt: skip
_H6_P = 1e-4 * np.array([[1312, 1696, 5569, 124, 8283, 5886],
                         [2329, 4135, 8307, 3736, 1004, 9991],
                         [2348, 1451, 3522, 2883, 3047, 6650],
                         [4047, 8828, 8732, 5743, 1091, 381]])  # fmt: skip
_H6_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])


def hartmann6(x: np.ndarray) -> float:
    return float(-(_H6_ALPHA * np.exp(-(_H6_A * (x - _H6_P) ** 2).sum(axis=1))).sum())


_H3_A = np.array([[3.0, 10, 30], [0.1, 10, 35], [3.0, 10, 30], [0.1, 10, 35]])
_H3_P = 1e-4 * np.array(
    [[3689, 1170, 2673], [4699, 4387, 7470], [1091, 8732, 5547], [381, 5743, 8828]]
)


def hartmann3(x: np.ndarray) -> float:
    return float(-(_H6_ALPHA * np.exp(-(_H3_A * (x - _H3_P) ** 2).sum(axis=1))).sum())


def rosenbrock(x: np.ndarray) -> float:
    return float(
        sum(100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2 for i in range(len(x) - 1))
    )


def ackley(x: np.ndarray) -> float:
    d = len(x)
    return float(-20 * math.exp(-0.2 * math.sqrt((x**2).sum() / d))
                 - math.exp(np.cos(2 * math.pi * x).sum() / d) + 20 + math.e)  # fmt: skip


PROBLEMS = {
    "branin": Problem("branin", [(-5, 10), (0, 15)], branin, 0.397887),
    "hartmann3": Problem("hartmann3", [(0, 1)] * 3, hartmann3, -3.86278),
    "hartmann6": Problem("hartmann6", [(0, 1)] * 6, hartmann6, -3.32237),
    "rosenbrock4": Problem("rosenbrock4", [(-2, 2)] * 4, rosenbrock, 0.0),
    "ackley5": Problem("ackley5", [(-5, 5)] * 5, ackley, 0.0),
}


def ours(kind: str, problem: Problem, trials: int, concurrency: int, seed: int) -> float:
    space = SearchSpace.of({f"x{i}": Uniform(lo, hi) for i, (lo, hi) in enumerate(problem.bounds)})
    config = {
        "random": SamplingConfig(SamplingType.RANDOM, SamplingRule.RANDOM, seed),
        "sobol": SamplingConfig(SamplingType.RANDOM, SamplingRule.SOBOL, seed),
        "bayesian": SamplingConfig(SamplingType.BAYESIAN, seed=seed),
    }[kind]
    spec = SweepSpec(
        Objective("f", Goal.MINIMIZE), space, config, None, Limits(trials, concurrency)
    )

    def evaluate(parameters: dict[str, Any]) -> list[float]:
        return [
            problem.function(np.array([parameters[f"x{i}"] for i in range(len(problem.bounds))]))
        ]

    best = simulate(spec, evaluate).final_plan.best_trial
    assert best is not None
    return best.metric - problem.optimum


def optuna_run(kind: str, problem: Problem, trials: int, concurrency: int, seed: int) -> float:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    sampler = {
        "Random": lambda: optuna.samplers.RandomSampler(seed=seed),
        "QMC": lambda: optuna.samplers.QMCSampler(seed=seed, scramble=True),
        "TPE": lambda: optuna.samplers.TPESampler(seed=seed),
    }[kind]()
    study = optuna.create_study(direction="minimize", sampler=sampler)
    distributions = {
        f"x{i}": optuna.distributions.FloatDistribution(lo, hi)
        for i, (lo, hi) in enumerate(problem.bounds)
    }
    done = 0
    while done < trials:
        batch = [study.ask(distributions) for _ in range(min(concurrency, trials - done))]
        for trial in batch:
            x = np.array([trial.params[f"x{i}"] for i in range(len(problem.bounds))])
            study.tell(trial, problem.function(x))
        done += len(batch)
    return float(study.best_value) - problem.optimum


OURS = ("random", "sobol", "bayesian")
THEIRS = ("Random", "QMC", "TPE")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--seeds", type=int, help="override the number of seeds")
    parser.add_argument("--trials", type=int, help="override the budget")
    parser.add_argument("--output", help="also write the markdown table here")
    args = parser.parse_args()
    problems = ["branin", "hartmann6"] if args.quick else list(PROBLEMS)
    seeds = range(args.seeds or (3 if args.quick else 10))
    trials = args.trials or (30 if args.quick else 100)
    levels = (1, 4) if args.quick else (1, 4, 16)
    lines = [
        f"Median simple regret after {trials} trials over {len(seeds)} seeds "
        "(smaller is better); ratio = our bayesian / the better of Optuna TPE and QMC.",
        "",
        "| problem | concurrency | "
        + " | ".join([f"ours {k}" for k in OURS] + [f"Optuna {k}" for k in THEIRS])
        + " | ratio |",
        "|---" * (3 + len(OURS) + len(THEIRS)) + "|",
    ]
    started = time.monotonic()
    for name in problems:
        problem = PROBLEMS[name]
        for concurrency in levels:
            medians: dict[str, float] = {}
            for kind in OURS:
                medians[kind] = statistics.median(
                    ours(kind, problem, trials, concurrency, s) for s in seeds
                )
            for kind in THEIRS:
                medians[kind] = statistics.median(
                    optuna_run(kind, problem, trials, concurrency, s) for s in seeds
                )
            rival = min(medians["TPE"], medians["QMC"])
            ratio = medians["bayesian"] / rival if rival > 0 else float("nan")
            cells = [f"{medians[k]:.4g}" for k in (*OURS, *THEIRS)]
            lines.append(f"| {name} | {concurrency} | " + " | ".join(cells) + f" | {ratio:.2f} |")
            print(lines[-1], file=sys.stderr, flush=True)
    lines += ["", f"Ran in {time.monotonic() - started:.0f} s."]
    table = "\n".join(lines) + "\n"
    print(table)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as handle:
            handle.write(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
