"""Shared starts: whether the first points of a sweep or the sampler decide Hartmann-6 at
concurrency 16, ours against Optuna's GP, each from its own first points and from the
other's.

At concurrency 16 the first 16 trials are planned before any result, so neither sampler
has a model for them: ours takes the points of its scrambled Sobol design, Optuna's
``GPSampler`` draws them uniformly at random. On Hartmann-6 a sweep either finds the global
optimum's basin or polishes the second-best one (regret 0.12), and which it does shows in
the suite's median over ten seeds as a ratio of about 1 or of about 60. Here every seed runs
four ways: each sampler from its own start and from the other's (the same 16 points as
its first batch, then its own model for the rest). From the same start the two samplers
are compared on equal terms; the rows of one sampler from the two starts show how much the
draw of the first points weighs.

The report gives, per start and sampler, the seeds that reach the global basin (regret
below 0.05) and that solve the problem (regret below 0.001), the median regret, the basins
in each block of 120 seeds, and the same on the first ten seeds (the suite's); then, from
the same start, the seeds only one of the two samplers brought to the basin or solved; and
the ratio ours / Optuna's GP on each block of ten seeds as the suite scores a problem, from
the same start and each from its own (how often the suite's ten seeds would find either
side ahead).

With ``--designs`` it asks instead whether our Sobol design is the cause: our bayesian from
first batches of three kinds, its scrambled Sobol design, uniform random points and a
scrambled Halton sequence (each seeded by the sweep's seed), then its own model, on 360
seeds; per design the seeds that reach the basin and solve it, and the basins in each
block of 120 seeds (how far the seeds alone move the count) and on the suite's ten, and
each design's difference from Sobol in seeds that reach the basin, with its z score.
``--only`` runs some of the designs.

    python benchmarks/starts.py --quick  # 4 seeds
    python benchmarks/starts.py          # 360 seeds (about 45 minutes on 2 cores)
    python benchmarks/starts.py --designs  # 360 seeds (about 15 minutes)
    python benchmarks/starts.py --first-seed 360 --seeds 120 --raw more.json  # other seeds
    python benchmarks/starts.py --designs --only Sobol,Halton --first-seed 360 --seeds 1440
"""

from __future__ import annotations

import json
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import samplers  # first: it sets the BLAS threads and kernels before numpy loads

# isort: split

from collections.abc import Sequence
from typing import Any

import numpy as np
from environment import describe
from problems import Problem, synthetic
from scipy.stats import qmc

from kubesweep.domain.samplers import BayesianSampler
from kubesweep.domain.trials import Goal, Objective, TrialRecord

PROBLEM = "hartmann6"
TRIALS = 100
CONCURRENCY = 16
SAMPLERS = ("bayesian", "GP")
STARTS = ("ours", "Optuna's")
NAMES = {"bayesian": "ours bayesian", "GP": "Optuna GP"}
START_NAMES = {"ours": "ours (Sobol)", "Optuna's": "Optuna's (uniform random)"}
DESIGNS = ("Sobol", "uniform random", "Halton")
SEEDS = 360
BLOCK = 120
BASIN = 0.05
SOLVED = 1e-3
SUITE_SEEDS = 10
RESOLUTION = 0.0014  # the suite's on Hartmann-6: a thousandth of random search's median, 1.36


def benchmark_problem() -> Problem:
    """Hartmann-6 on the unit cube, as ``benchmarks/samplers.py`` has it."""
    return next(p for p in synthetic() if p.name == PROBLEM)


def our_start(problem: Problem, seed: int, size: int = CONCURRENCY) -> list[dict[str, Any]]:
    """The first ``size`` points of our bayesian sampler, planned before any result."""
    sampler = BayesianSampler(problem.space(), seed=seed, objective=Objective("f", Goal.MINIMIZE))
    points = [sampler.suggest(index, []) for index in range(size)]
    return [dict(point) for point in points if point is not None]


def optuna_start(problem: Problem, seed: int, size: int = CONCURRENCY) -> list[dict[str, Any]]:
    """The first ``size`` points of Optuna's GP sampler, asked before any result."""
    import optuna

    samplers._quiet_optuna()
    study = optuna.create_study(direction="minimize", sampler=samplers._optuna_sampler("GP", seed))
    distributions = problem.distributions()
    return [dict(study.ask(distributions).params) for _ in range(size)]


def design_start(
    problem: Problem, design: str, seed: int, size: int = CONCURRENCY
) -> list[dict[str, Any]]:
    """The first ``size`` points of ``design`` (one of ``DESIGNS``) under ``seed``."""
    if design == "Sobol":
        return our_start(problem, seed, size)
    space = problem.space()
    if design == "uniform random":
        unit = np.random.default_rng([seed, 7]).random((size, space.dimensions))
    else:
        unit = qmc.Halton(d=space.dimensions, scramble=True, seed=seed).random(size)
    return [dict(space.from_unit(point.tolist())) for point in unit]


def started(points: Sequence[dict[str, Any]]) -> samplers.Baseline:
    """Our bayesian sampler whose first trials are at ``points`` (in trial order); the
    rest as it is."""

    class Started(BayesianSampler):
        def _design(
            self, index: int, history: Sequence[TrialRecord], feasibility: Any = None
        ) -> dict[str, Any] | None:
            if index < len(points):
                return dict(points[index])
            return super()._design(index, history, feasibility)

    return Started


Job = tuple[str, str, int]  # sampler, start, seed


def run(kind: str, start: str, seed: int) -> float:
    """The sweep's regret: the best value of its trials over the optimum."""
    problem = benchmark_problem()
    if kind == "GP":
        points = our_start(problem, seed) if start == "ours" else []
        study = samplers.optuna_study("GP", problem, TRIALS, CONCURRENCY, seed, start=points)
        return float(study.best_value) - problem.optimum
    best = samplers.run_ours(
        "bayesian", problem, TRIALS, CONCURRENCY, seed,
        baseline=started(optuna_start(problem, seed)) if start == "Optuna's" else None,
    )  # fmt: skip
    return best - problem.optimum


def _job(job: Job) -> tuple[Job, float]:
    return job, run(*job)


def run_design(design: str, seed: int) -> float:
    """The regret of our sweep from ``design``'s first batch (Sobol: the sweep as it is)."""
    problem = benchmark_problem()
    baseline = None if design == "Sobol" else started(design_start(problem, design, seed))
    best = samplers.run_ours("bayesian", problem, TRIALS, CONCURRENCY, seed, baseline=baseline)
    return best - problem.optimum


def _design_job(job: tuple[str, int]) -> tuple[tuple[str, int], float]:
    return job, run_design(*job)


def design_report(results: dict[tuple[str, int], float], seeds: Sequence[int]) -> list[str]:
    """The table of our runs from each design's first batch (those ``results`` hold), on
    ``seeds``, and each design against Sobol."""
    first = list(seeds)[:SUITE_SEEDS]
    designs = [design for design in DESIGNS if (design, seeds[0]) in results]
    basins: dict[str, int] = {}
    blocks, names = _blocks(seeds)
    lines = [
        f"Hartmann-6, concurrency {CONCURRENCY}, {TRIALS} trials, our bayesian from a first "
        f"batch of each design, seeds {seeds[0]} to {seeds[-1]}: seeds that reach the global "
        f"basin (regret < {BASIN}) and that solve it (regret < {SOLVED}), the median regret, "
        f"the basins in each block of seeds ({names}) and on seeds {first[0]} to {first[-1]}.",
        "",
        "| first batch | basin | solved | median regret | basin by block | basin, first "
        f"{len(first)} | median regret, first {len(first)} |",
        "|---|---|---|---|---|---|---|",
    ]
    for design in designs:
        regrets = np.array([results[(design, seed)] for seed in seeds])
        firsts = np.array([results[(design, seed)] for seed in first])
        by_block = _basins_by_block({seed: results[(design, seed)] for seed in seeds}, blocks)
        basins[design] = int((regrets < BASIN).sum())
        lines.append(
            f"| {design} | {basins[design]} | {(regrets < SOLVED).sum()} | "
            f"{np.median(regrets):.3g} | {by_block} | {(firsts < BASIN).sum()} | "
            f"{np.median(firsts):.3g} |"
        )
    return lines + _against_sobol(basins, len(seeds))


def chosen_designs(names: str | None) -> tuple[str, ...]:
    """The designs ``--only`` names (comma-separated), in the order of ``DESIGNS``; all of
    them without it. A name that is not a design ends the run, naming it and the designs."""
    if names is None:
        return DESIGNS
    wanted = [name.strip() for name in names.split(",")]
    for name in wanted:
        if name not in DESIGNS:
            raise SystemExit(
                f"--only: {name!r} is not a design; the designs are " + ", ".join(DESIGNS)
            )
    return tuple(design for design in DESIGNS if design in wanted)


def _against_sobol(basins: dict[str, int], count: int) -> list[str]:
    """Each design's seeds in the basin against Sobol's (of ``count`` seeds each), and the
    difference's z score (two proportions, pooled: about 2 or more is unlikely by the
    seeds alone)."""
    if "Sobol" not in basins or len(basins) < 2:
        return []
    lines = [
        "",
        f"Against Sobol: the difference in seeds that reach the basin (of {count} each), and "
        "its z score (two proportions, pooled; at 2 or more the seeds alone would seldom "
        "make it):",
        "",
        "| first batch | basin, against Sobol | z |",
        "|---|---|---|",
    ]
    sobol = basins["Sobol"]
    for design, basin in basins.items():
        if design == "Sobol":
            continue
        pooled = (basin + sobol) / (2 * count)
        spread = math.sqrt(pooled * (1 - pooled) * 2 / count)
        z = f"{(basin - sobol) / count / spread:.2f}" if spread > 0 else "-"
        points = 100 * (basin - sobol) / count
        lines.append(f"| {design} | {basin - sobol:+d} ({points:+.1f} points) | {z} |")
    return lines


def _blocks(seeds: Sequence[int], size: int = BLOCK) -> tuple[list[list[int]], str]:
    """``seeds`` in blocks of ``size`` (the last may be shorter), and the blocks' names
    (first-last, by commas)."""
    blocks = [list(seeds)[i : i + size] for i in range(0, len(seeds), size)]
    return blocks, ", ".join(f"{b[0]}-{b[-1]}" for b in blocks)


def _basins_by_block(regrets: dict[int, float], blocks: list[list[int]]) -> str:
    """How many seeds of each block reach the global basin (``regrets`` by seed), by commas."""
    return ", ".join(str(sum(regrets[seed] < BASIN for seed in block)) for block in blocks)


def report(results: dict[Job, float], seeds: Sequence[int]) -> list[str]:
    """The tables of the runs of ``seeds``."""
    first = list(seeds)[:SUITE_SEEDS]
    blocks, names = _blocks(seeds)
    lines = [
        f"Hartmann-6, concurrency {CONCURRENCY}, {TRIALS} trials, seeds {seeds[0]} to "
        f"{seeds[-1]}: seeds that reach the global basin (regret < {BASIN}) and that solve "
        f"it (regret < {SOLVED}), the median regret, the basins in each block of seeds "
        f"({names}); then the same on seeds {first[0]} to {first[-1]}.",
        "",
        "| start | sampler | basin | solved | median regret | basin by block | basin, first "
        f"{len(first)} | median regret, first {len(first)} |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for start in STARTS:
        for kind in SAMPLERS:
            regrets = np.array([results[(kind, start, seed)] for seed in seeds])
            firsts = np.array([results[(kind, start, seed)] for seed in first])
            by_block = _basins_by_block(
                {seed: results[(kind, start, seed)] for seed in seeds}, blocks
            )
            lines.append(
                f"| {START_NAMES[start]} | {NAMES[kind]} | {(regrets < BASIN).sum()} | "
                f"{(regrets < SOLVED).sum()} | {np.median(regrets):.3g} | {by_block} | "
                f"{(firsts < BASIN).sum()} | {np.median(firsts):.3g} |"
            )
    lines += [
        "",
        "From the same start, the seeds only one of the two brought to the basin, and that "
        "only one solved:",
        "",
        "| start | basin: only ours | basin: only Optuna GP | solved: only ours | "
        "solved: only Optuna GP |",
        "|---|---|---|---|---|",
    ]
    for start in STARTS:
        ours = np.array([results[("bayesian", start, seed)] for seed in seeds])
        theirs = np.array([results[("GP", start, seed)] for seed in seeds])
        cells = [
            ((one < bar) & (other >= bar)).sum()
            for bar in (BASIN, SOLVED)
            for one, other in ((ours, theirs), (theirs, ours))
        ]
        lines.append(f"| {START_NAMES[start]} | " + " | ".join(str(c) for c in cells) + " |")
    return lines + _block_lines(results, seeds)


def _block_lines(results: dict[Job, float], seeds: Sequence[int]) -> list[str]:
    """Ours over Optuna's GP as the suite scores a problem, on each block of ten consecutive
    seeds (the ratio of the medians of the regrets floored at ``RESOLUTION``): from the same
    start, and each from its own (ours from its Sobol points, Optuna's GP from its uniform
    random ones, as the suite runs them)."""
    blocks = [block for block in _blocks(seeds, SUITE_SEEDS)[0] if len(block) == SUITE_SEEDS]
    if not blocks:
        return []
    lines = [
        "",
        f"On each of the {len(blocks)} blocks of {SUITE_SEEDS} consecutive seeds, the ratio "
        "of the medians ours / Optuna GP (regrets floored at "
        f"{RESOLUTION}, the suite's resolution on Hartmann-6: a thousandth of random "
        "search's median regret there), from the same start and each from its own; the "
        "suite's Hartmann-6 ratio at concurrency 16 is the last on seeds 0-9, against the "
        "best of Optuna's TPE and GP:",
        "",
        "| start | blocks | ratio <= 0.5 | ratio <= 1 | ratio > 2 | median ratio | "
        "10th-90th percentile |",
        "|---|---|---|---|---|---|---|",
    ]
    pairs = [(START_NAMES[start], start, start) for start in STARTS]
    for name, ours, theirs in [*pairs, ("each its own", "ours", "Optuna's")]:
        ratios = np.array(
            [
                np.median([max(results[("bayesian", ours, s)], RESOLUTION) for s in block])
                / np.median([max(results[("GP", theirs, s)], RESOLUTION) for s in block])
                for block in blocks
            ]
        )
        low, high = np.percentile(ratios, [10, 90])
        lines.append(
            f"| {name} | {len(blocks)} | {(ratios <= 0.5).sum()} | {(ratios <= 1).sum()} | "
            f"{(ratios > 2).sum()} | {np.median(ratios):.3g} | {low:.3g} to {high:.3g} |"
        )
    return lines


def _save(
    path: str,
    results: dict[Any, float],
    seeds: list[int],
    elapsed: float,
    environment: str,
    designs: bool,
) -> None:
    """Write the runs (by job: sampler, start and seed, or design and seed) to ``path``."""
    runs = [[*job, regret] for job, regret in results.items()]
    saved = {"problem": PROBLEM, "trials": TRIALS, "concurrency": CONCURRENCY,
             "designs": designs, "seeds": seeds, "elapsed": elapsed,
             "environment": environment, "runs": runs}  # fmt: skip
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(saved, handle)


def _saved(path: str, designs: bool) -> tuple[dict[Any, float], list[int], float, str]:
    """The runs of a ``--raw`` file of this script: by job, the seeds, the seconds they took
    and the environment line; a file of the other mode (with or without ``--designs``)
    is refused, naming the option."""
    with open(path, encoding="utf-8") as handle:
        saved = json.load(handle)
    if saved.get("problem") != PROBLEM or "designs" not in saved:
        raise SystemExit(f"--from-raw {path}: not a --raw file of benchmarks/starts.py")
    if saved["designs"] != designs:
        wanted = "with" if saved["designs"] else "without"
        raise SystemExit(f"--from-raw {path} holds the runs made {wanted} --designs: {wanted} it")
    runs = {tuple(run[:-1]): float(run[-1]) for run in saved["runs"]}
    return runs, list(saved["seeds"]), float(saved["elapsed"]), str(saved["environment"])


def main() -> int:
    args = samplers.side_by_side_arguments(
        __doc__,
        [("--designs", "our bayesian from Sobol, uniform random and Halton starts")],
        saved_runs=True,
        options=[("--only", "with --designs, only these designs (comma-separated)")],
    )
    if args.only is not None and not args.designs:
        raise SystemExit("--only chooses among the designs of --designs: give --designs too")
    designs = chosen_designs(args.only)
    if args.from_raw:
        if args.seeds or args.first_seed or args.quick or args.raw or args.only:
            raise SystemExit(
                "--from-raw reports the saved seeds and designs: it takes no --seeds, "
                "--first-seed, --quick, --raw or --only"
            )
        results, seeds, elapsed, environment = _saved(args.from_raw, args.designs)
        done = f"Ran in {elapsed:.0f} s (the runs saved in {args.from_raw})."
    else:
        first = args.first_seed
        seeds = list(range(first, first + (args.seeds or (4 if args.quick else SEEDS))))
        jobs: list[Any] = (
            [(design, seed) for design in designs for seed in seeds]
            if args.designs
            else [(kind, start, seed) for start in STARTS for kind in SAMPLERS for seed in seeds]
        )
        results, elapsed = samplers.pooled_gp_first(
            _design_job if args.designs else _job, jobs, lambda j: j[0], args.jobs
        )
        environment, done = describe(), f"Ran in {elapsed:.0f} s."
    table = design_report(results, seeds) if args.designs else report(results, seeds)
    samplers.publish([*table, "", done, "", environment], args.output)
    if args.raw:
        _save(args.raw, results, seeds, elapsed, environment, args.designs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
