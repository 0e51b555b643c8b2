"""Early termination on replayed learning curves, ours against Optuna's pruners.

The curves are real (``benchmarks/curves.py``: 96 scikit-learn MLPs on digits, validation
accuracy after each of 27 epochs). For each seed, 64 of them are drawn in a random order and
run as one sweep, ``--concurrency`` at a time, in lockstep (every running trial reports step
s before anything is judged at s): ours through ``simulate`` with each early-termination
policy, Optuna's through ask/report/should_prune/tell with each pruner. A policy costs the
steps it ran and loses regret: the best final accuracy of the 64 (all run to the end) minus
the best final accuracy among the trials the sweep ran to the end.

    python benchmarks/pruners.py --quick    # 3 seeds
    python benchmarks/pruners.py            # 10 seeds, concurrency 1 and 4

Settings: ours and Azure's policies judge from step 5 (delay 5, interval 1; bandit slack
factor 0.1, truncation 25 %), as do Optuna's Median and Percentile pruners (25th percentile,
5 startup trials, 5 warm-up steps); ASHA, Successive Halving and Hyperband on both sides use
minimum resource 1, reduction factor 3 and (Hyperband) maximum resource 27.
"""

from __future__ import annotations

import argparse
import csv
import pathlib
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from environment import describe

from kubesweep.domain.planner import Limits, SweepSpec
from kubesweep.domain.policies import PolicyConfig, PolicyType
from kubesweep.domain.samplers import SamplingConfig, SamplingType
from kubesweep.domain.simulation import simulate
from kubesweep.domain.space import Choice, SearchSpace
from kubesweep.domain.trials import Goal, Objective, TrialPhase

CURVES = pathlib.Path(__file__).parent / "data" / "digits-mlp-curves.csv"
TRIALS = 64

OURS: dict[str, PolicyConfig | None] = {
    "none": None,
    "bandit": PolicyConfig(PolicyType.BANDIT, delay_evaluation=5, slack_factor=0.1),
    "median_stopping": PolicyConfig(PolicyType.MEDIAN_STOPPING, delay_evaluation=5),
    "truncation_selection": PolicyConfig(
        PolicyType.TRUNCATION_SELECTION, delay_evaluation=5, truncation_percentage=25
    ),
    "asha": PolicyConfig(PolicyType.ASHA, min_resource=1, reduction_factor=3),
    "hyperband": PolicyConfig(
        PolicyType.HYPERBAND, min_resource=1, max_resource=27, reduction_factor=3
    ),
}


def _pruners() -> dict[str, Callable[[], Any]]:
    import optuna

    return {
        "Median": lambda: optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=5),
        "Percentile": lambda: optuna.pruners.PercentilePruner(
            25.0, n_startup_trials=5, n_warmup_steps=5
        ),
        "SuccessiveHalving": lambda: optuna.pruners.SuccessiveHalvingPruner(
            min_resource=1, reduction_factor=3
        ),
        "Hyperband": lambda: optuna.pruners.HyperbandPruner(
            min_resource=1, max_resource=27, reduction_factor=3
        ),
    }


def load_curves() -> list[list[float]]:
    with CURVES.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return [[float(row[k]) for k in row if k.startswith("epoch")] for row in rows]


def ours(
    config: PolicyConfig | None, curves: list[list[float]], order: list[int], concurrency: int
) -> tuple[int, float]:
    """Steps run, and the best final accuracy among the trials that ran to the end."""
    spec = SweepSpec(
        Objective("accuracy", Goal.MAXIMIZE),
        SearchSpace.of({"config": Choice(tuple(order))}),
        SamplingConfig(SamplingType.GRID),
        config,
        Limits(len(order), concurrency),
    )
    result = simulate(spec, lambda parameters: curves[int(parameters["config"])])
    finished = [
        curves[int(t.record.parameters["config"])][-1]
        for t in result.trials
        if t.record.phase is TrialPhase.SUCCEEDED
    ]
    return result.total_steps, max(finished, default=0.0)


def optuna_replay(
    pruner: Any, curves: list[list[float]], order: list[int], concurrency: int
) -> tuple[int, float]:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    warnings.filterwarnings("ignore")
    study = optuna.create_study(  # a fixed name: Hyperband picks brackets by its hash
        study_name="replay",
        direction="maximize",
        pruner=pruner,
        sampler=optuna.samplers.RandomSampler(seed=0),
    )
    queue = list(order)
    running: list[tuple[Any, list[float], int]] = []  # trial, curve, steps reported
    steps, finished = 0, []
    while queue or running:
        while queue and len(running) < concurrency:
            running.append((study.ask(), curves[queue.pop(0)], 0))
        for trial, curve, step in running:  # every running trial reports its next step
            trial.report(curve[step], step + 1)
        steps += len(running)
        reported, running = running, []
        for trial, curve, step in reported:  # then each is judged
            if step + 1 == len(curve):
                study.tell(trial, curve[-1])
                finished.append(curve[-1])
            elif trial.should_prune():
                study.tell(trial, state=optuna.trial.TrialState.PRUNED)
            else:
                running.append((trial, curve, step + 1))
    return steps, max(finished, default=0.0)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--seeds", type=int)
    parser.add_argument("--output", help="also write the markdown table here")
    args = parser.parse_args()
    if args.seeds is not None and args.seeds < 1:
        parser.error(f"--seeds must be 1 or more, not {args.seeds}")
    curves = load_curves()
    seeds = range(args.seeds or (3 if args.quick else 10))
    levels = (4,) if args.quick else (1, 4)
    started = time.monotonic()
    lines = [
        f"Early termination replayed on {len(curves)} real learning curves (scikit-learn MLP on "
        f"digits, {len(curves[0])} epochs); {TRIALS} trials a sweep, {len(seeds)} seeds. "
        "Steps saved against running every trial to the end; regret = best final accuracy "
        "of the sweep's trials minus the best among those it ran to the end (medians, and the "
        "mean in brackets).",
        "",
        "| concurrency | side | policy | steps saved | regret | best kept |",
        "|---|---|---|---|---|---|",
    ]
    for concurrency in levels:
        rows: dict[tuple[str, str], list[tuple[int, float, float]]] = {}
        for seed in seeds:
            order = [int(i) for i in np.random.default_rng(seed).permutation(len(curves))[:TRIALS]]
            oracle = max(curves[i][-1] for i in order)
            full = TRIALS * len(curves[0])
            for name, config in OURS.items():
                steps, best = ours(config, curves, order, concurrency)
                rows.setdefault(("ours", name), []).append((1 - steps / full, oracle - best, best))
            for name, make in _pruners().items():
                steps, best = optuna_replay(make(), curves, order, concurrency)
                rows.setdefault(("Optuna", name), []).append(
                    (1 - steps / full, oracle - best, best)
                )
        for (side, name), values in rows.items():
            saved = [v[0] for v in values]
            regret = [v[1] for v in values]
            kept = sum(1 for r in regret if r == 0.0)
            lines.append(
                f"| {concurrency} | {side} | {name} | {statistics.median(saved):.1%} | "
                f"{statistics.median(regret):.4f} ({statistics.mean(regret):.4f}) | "
                f"{kept}/{len(values)} |"
            )
            print(lines[-1], file=sys.stderr, flush=True)
    lines += ["", f"Ran in {time.monotonic() - started:.0f} s.", "", describe()]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as handle:
            handle.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
