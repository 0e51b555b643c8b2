"""Trials that finish one by one: our bayesian against Optuna's TPE and GP, side by side.

``benchmarks/samplers.py`` runs concurrency c as batches: c trials are proposed, all of them
report, then the next c. In a cluster trials take different times, and a new one starts
whenever one ends, so the sampler nearly always has c - 1 trials running when it proposes
one. Here each trial takes 1 to 4 steps (drawn per trial number from the seed: trial n
takes as long on both sides), and at most c run at once: ours through the simulator (the
trial reports its value at every step), Optuna through ask and tell on the same clock (at
each step, every trial that ends is told, in trial order, then as many are asked as ended).
Synthetic problems, c = 4 and 16, 100 trials, 10 seeds. The report gives each sampler's
median regret, ours over the better of TPE and GP (regrets floored at a thousandth of
random search's median regret, as in the samplers benchmark), the seeds each solved, and
the geometric mean of the ratios per concurrency.

    python benchmarks/asynchronous.py --quick  # Branin and Hartmann-6, c = 16, 3 seeds, 50 trials
    python benchmarks/asynchronous.py          # 6 problems, c = 4 and 16, 10 seeds
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import samplers  # first: it sets the BLAS threads and kernels before numpy loads

# isort: split

from collections.abc import Callable
from typing import Any

import numpy as np
import stats
from environment import describe
from problems import Problem, synthetic

from kubesweep.domain.planner import Limits, SweepSpec
from kubesweep.domain.simulation import SimulationResult, simulate
from kubesweep.domain.trials import Goal, Objective

SAMPLERS = ("random", "bayesian", "TPE", "GP")
RIVALS = ("TPE", "GP")
LONGEST = 4  # steps a trial takes, at most


def durations(seed: int, trials: int) -> list[int]:
    """How many steps each trial takes, by trial number: the same for both sides."""
    rng = np.random.default_rng([seed, 11])
    return [int(d) for d in rng.integers(1, LONGEST + 1, size=trials)]


def simulated(
    kind: str, problem: Problem, trials: int, concurrency: int, seed: int
) -> SimulationResult:
    """Our sweep, trial n lasting ``durations(seed)[n]`` steps (the simulator asks for a
    trial's curve when it creates the trial, in trial order)."""
    steps = iter(durations(seed, trials))

    def curve(parameters: dict[str, Any]) -> list[float]:
        return [problem.evaluate(parameters)] * next(steps)

    spec = SweepSpec(
        Objective("f", Goal.MINIMIZE),
        problem.space(),
        samplers.sampling_config(kind, seed),
        None,
        Limits(trials, concurrency),
    )
    return simulate(spec, curve)


def ours(kind: str, problem: Problem, trials: int, concurrency: int, seed: int) -> float:
    """The best value of our sweep."""
    best = simulated(kind, problem, trials, concurrency, seed).final_plan.best_trial
    assert best is not None
    return best.metric


def theirs(kind: str, problem: Problem, trials: int, concurrency: int, seed: int) -> float:
    """The best value of Optuna's study on the same clock: at each step the trials that end
    are told (in trial order), then as many new ones are asked."""
    import optuna

    samplers._quiet_optuna()
    study = optuna.create_study(direction="minimize", sampler=samplers._optuna_sampler(kind, seed))
    distributions = problem.distributions()
    lasting = durations(seed, trials)
    running: list[tuple[int, Any, float]] = []  # (the step it ends, trial, value)
    asked, now = 0, 0
    while asked < trials or running:
        while asked < trials and len(running) < concurrency:
            trial = study.ask(distributions)
            running.append((now + lasting[asked], trial, problem.evaluate(trial.params)))
            asked += 1
        now = min(end for end, _, _ in running)
        ended = sorted((r for r in running if r[0] == now), key=lambda r: r[1].number)
        for _, trial, value in ended:
            study.tell(trial, value)
        running = [r for r in running if r[0] != now]
    return float(study.best_value)


Job = tuple[str, str, int, int, int]  # problem, sampler, trials, c, seed


def problems_by_name() -> dict[str, Problem]:
    return {p.name: p for p in synthetic()}


def _job(job: Job) -> tuple[Job, float]:
    name, kind, trials, concurrency, seed = job
    problem = problems_by_name()[name]
    run: Callable[[str, Problem, int, int, int], float] = theirs if kind in RIVALS else ours
    return job, run(kind, problem, trials, concurrency, seed) - float(problem.optimum or 0.0)


def report(
    results: dict[Job, float], names: list[str], levels: list[int], seeds: int, trials: int
) -> list[str]:
    """The per-problem table and the geometric mean of the ratios per concurrency."""
    lines = [
        f"Median regret after {trials} trials over {seeds} seeds, each trial 1 to {LONGEST} "
        "steps long, a new one started whenever one ends; ratio = our bayesian over the "
        "better of TPE and GP (regrets floored at a thousandth of random search's median); "
        "solved: seeds at or below that floor, ours and the better rival's.",
        "",
        *samplers.table_head([*SAMPLERS, "ratio", "solved"]),
    ]
    ratios: dict[int, list[float]] = {}
    for name in names:
        for c in levels:
            regret = {
                kind: np.array([results[(name, kind, trials, c, s)] for s in range(seeds)])
                for kind in SAMPLERS
            }
            resolution = samplers.SOLVED * (float(np.median(regret["random"])) or 1.0)
            floored = {k: stats.floor(v, resolution) for k, v in regret.items()}
            best = min(RIVALS, key=lambda k: float(np.median(floored[k])))
            ratio = stats.ratio(floored["bayesian"], [floored[k] for k in RIVALS])
            ratios.setdefault(c, []).append(ratio)
            solved = [int((regret[k] <= resolution).sum()) for k in ("bayesian", best)]
            cells = [f"{float(np.median(regret[k])):.3g}" for k in SAMPLERS]
            lines.append(
                f"| {name} | {c} | " + " | ".join(cells)
                + f" | {ratio:.2f} | {solved[0]} / {solved[1]} ({best}) |"
            )  # fmt: skip
    lines += ["", "| c | geometric mean ratio |", "|---|---|"]
    lines += [f"| {c} | {stats.geometric_mean(values):.2f} |" for c, values in ratios.items()]
    return lines


def main() -> int:
    args = samplers.side_by_side_arguments(__doc__)
    seeds = args.seeds or (3 if args.quick else 10)
    trials = 50 if args.quick else 100
    names = ["branin", "hartmann6"] if args.quick else [p.name for p in synthetic()]
    levels = [16] if args.quick else [4, 16]
    jobs: list[Job] = [
        (name, kind, trials, c, seed)
        for name in names
        for c in levels
        for kind in SAMPLERS
        for seed in range(seeds)
    ]
    results, elapsed = samplers.pooled_gp_first(_job, jobs, lambda j: j[1], args.jobs)
    lines = report(results, names, levels, seeds, trials)
    samplers.publish([*lines, "", f"Ran in {elapsed:.0f} s.", "", describe()], args.output)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
