"""Seed draws: how far the sampler suite's verdict moves with the ten seeds it runs.

The suite (``samplers.py``) scores 10 seeds: per problem the ratio of our bayesian's median
regret to the best Optuna rival's, then the geometric mean over a group's problems. Where a
problem is either solved or stuck (Hartmann-6 at concurrency 16), one seed on the other
side of a median moves that ratio from about 1 to about 60. This script takes the saved runs
of more seeds (``--raw`` files of ``samplers.py``, joined as its ``--from-raw`` joins them),
draws ``--size`` of the seeds ``--draws`` times (without replacement, seeded), scores each
draw as the suite scores its seeds (``samplers.floored_regrets``: regrets floored at the
resolution of the draw's own random search) and prints, per group and concurrency, the
ratio over all the saved seeds and over the first ``--size`` (the suite's own), the median
ratio over the draws with its 10th and 90th percentiles, and the share of draws whose ratio
is at most 0.5 and at most 1.0 (the suite's goals at concurrency 16 and 1). The groups are
each problem group, the synthetic and tabular problems together, and all. A second table
gives the same figures for the suite's pooled reading (each sampler's geometric mean of
normalised regret over the group's problems and the draw's seeds, ours over the best
rival's: every seed counts, not only the one at the median), and a third the ratios of
medians per problem. Reads saved runs only: seconds.

    R=benchmarks/results/samplers
    F=$R.json,$R-seeds10-19.json,$R-seeds20-29.json,$R-seeds30-39.json,$R-seeds40-49.json
    python benchmarks/draws.py --from-raw $F
"""

from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import samplers  # first: it sets the BLAS threads and kernels before numpy loads

# isort: split

from collections.abc import Sequence

import numpy as np
import stats
from problems import Problem, all_problems

DRAWS = 2000
SIZE = 10
GOALS = (0.5, 1.0)
JOINT = ("synthetic", "tabular")  # the goals speak of "synthetic and tabular problems"


Case = tuple[float, np.ndarray, list[np.ndarray]]  # a problem in the pooled reading


def scored(
    results: dict[tuple[str, str, int], list[float]],
    problem: Problem,
    concurrency: int,
    seeds: np.ndarray | None = None,
) -> tuple[float, Case]:
    """Our median regret over the best rival's on ``problem``, over the runs at the
    positions ``seeds`` (all, if None), scored as the suite scores its seeds; and the same
    runs as a case of the suite's pooled reading: (random search's median regret, ours, the
    rivals'), regrets floored."""
    _, scale, _, floored = samplers.floored_regrets(results, problem, concurrency, seeds)
    rivals = [floored[k] for k in samplers.RIVALS]
    return stats.ratio(floored["bayesian"], rivals), (scale, floored["bayesian"], rivals)


def groups(problems: Sequence[Problem]) -> dict[str, list[Problem]]:
    """Each problem group, the synthetic and tabular problems together (where both are
    there), and all, in that order."""
    result: dict[str, list[Problem]] = {}
    for problem in problems:
        result.setdefault(problem.group, []).append(problem)
    if all(group in result for group in JOINT):
        result[" and ".join(JOINT)] = [p for p in problems if p.group in JOINT]
    result["all"] = list(problems)
    return result


def _group_head(size: int) -> list[str]:
    return [
        f"| group | c | problems | all seeds | first {size} | draws: median | 10th to 90th | "
        + " | ".join(f"at most {g}" for g in GOALS)
        + " |",
        "|---" * (7 + len(GOALS)) + "|",
    ]


def _spread(ratios: np.ndarray) -> tuple[float, float, float, float, float]:
    """From the ratios over all the seeds, over the first ones and over the draws (in that
    order): the first two, and the draws' median, 10th and 90th percentiles."""
    low, middle, high = np.percentile(ratios[2:], [10, 50, 90])
    return ratios[0], ratios[1], middle, low, high


def _group_row(name: str, concurrency: int, problems: int, ratios: np.ndarray) -> str:
    """A group's row, ``ratios`` as for ``_spread``, with the share of draws within each
    goal."""
    whole, suite, middle, low, high = _spread(ratios)
    shares = " | ".join(f"{np.mean(ratios[2:] <= g):.0%}" for g in GOALS)
    return (
        f"| {name} | {concurrency} | {problems} | {whole:.2f} | {suite:.2f} | "
        f"{middle:.2f} | {low:.2f} to {high:.2f} | {shares} |"
    )


def report(
    results: dict[tuple[str, str, int], list[float]],
    problems: Sequence[Problem],
    levels: Sequence[int],
    seeds: int,
    first_seed: int,
    size: int = SIZE,
    draws: int = DRAWS,
) -> list[str]:
    if not 0 < size <= seeds:
        raise SystemExit(f"--size: {size} seeds drawn from {seeds} saved; choose 1 to {seeds}")
    if draws < 1:
        raise SystemExit(f"--draws: {draws} draws; choose 1 or more")
    rng = np.random.default_rng(0)
    picks = [np.sort(rng.choice(seeds, size, replace=False)) for _ in range(draws)]
    # each problem over all the seeds, over the first ``size`` and over each draw
    selections: list[np.ndarray | None] = [None, np.arange(size), *picks]
    scores = {
        (p.name, c): [scored(results, p, c, chosen) for chosen in selections]
        for p in problems
        for c in levels
    }
    lines = [
        f"Draws of {size} of the seeds {first_seed} to {first_seed + seeds - 1} ({draws} "
        "draws, each scored as the suite scores its seeds): the ratio of our bayesian's "
        "median regret to the best rival's, geometric mean over the group's problems, over "
        f"all the seeds, over the first {size} (the suite's), and over the draws (median, "
        "10th to 90th percentile, and the share of draws at most "
        + " and at most ".join(f"{g}" for g in GOALS)
        + ").",
        "",
        *_group_head(size),
    ]
    grouped = groups(problems)
    for name, members in grouped.items():
        for concurrency in levels:
            logs = np.log([[r for r, _ in scores[(p.name, concurrency)]] for p in members])
            ratios = np.exp(logs.mean(axis=0))
            lines.append(_group_row(name, concurrency, len(members), ratios))
    lines += [
        "",
        "The suite's pooled reading of the same draws: per sampler, the geometric mean over "
        "the group's problems and the draw's seeds of regret over random search's median "
        "regret, ours over the best rival's (as in the report of samplers.py):",
        "",
        *_group_head(size),
    ]
    for name, members in grouped.items():
        for concurrency in levels:
            cases = [scores[(p.name, concurrency)] for p in members]
            pooled = [stats.pooled_ratio([c[i][1] for c in cases]) for i in range(len(selections))]
            lines.append(_group_row(name, concurrency, len(members), np.array(pooled)))
    lines += [
        "",
        "Per problem, the ratios of the first table:",
        "",
        f"| problem | c | all seeds | first {size} | draws: median | 10th to 90th |",
        "|---|---|---|---|---|---|",
    ]
    for problem in problems:
        for concurrency in levels:
            ratios = np.array([r for r, _ in scores[(problem.name, concurrency)]])
            whole, suite, middle, low, high = _spread(ratios)
            lines.append(
                f"| {problem.name} | {concurrency} | {whole:.3g} | {suite:.3g} | "
                f"{middle:.3g} | {low:.3g} to {high:.3g} |"
            )
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument(
        "--from-raw", required=True, help="samplers.py --raw files, comma-separated"
    )
    parser.add_argument("--size", type=int, default=SIZE, help="seeds a draw takes")
    parser.add_argument("--draws", type=int, default=DRAWS)
    parser.add_argument("--output", help="also write the markdown report here")
    args = parser.parse_args()
    _, first_seed, seeds, results, environments = samplers.load_raw(args.from_raw.split(","))
    catalogue = all_problems()
    problems = [p for name, p in catalogue.items() if any(name == k[0] for k in results)]
    levels = sorted({c for _, _, c in results})
    lines = report(results, problems, levels, seeds, first_seed, args.size, args.draws)
    lines += ["", f"From the runs saved in {args.from_raw}.", ""]
    lines += [f"- {line}" for line in environments]
    samplers.publish(lines, args.output)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
