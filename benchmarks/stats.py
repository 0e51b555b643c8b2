"""Summary statistics shared by the benchmark scripts: ratios of medians, their geometric
mean over problems with a bootstrap interval (seeds resampled), the pooled geometric mean of
normalised regret per sampler (every seed counts), and win/tie/loss counts by a two-sided
Mann-Whitney U test at the 5 % level."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
from scipy.stats import mannwhitneyu


def floor(values: Sequence[float], resolution: float) -> np.ndarray:
    """Regrets floored at the problem's resolution, so a found optimum (regret 0) gives a
    finite ratio and two found optima a ratio of 1."""
    return np.maximum(np.asarray(values, dtype=float), resolution)


def ratio(ours: np.ndarray, rivals: Sequence[np.ndarray]) -> float:
    """Our median over the best of the rivals' medians."""
    return float(np.median(ours) / min(np.median(r) for r in rivals))


def geometric_mean(values: Sequence[float]) -> float:
    return float(math.exp(np.mean(np.log(values))))


def bootstrap_geomean(
    cases: Sequence[tuple[np.ndarray, Sequence[np.ndarray]]],
    *,
    resamples: int = 1000,
    seed: int = 0,
) -> tuple[float, float, float]:
    """The geometric mean of ``ratio`` over cases, and its 95 % percentile interval when each
    sampler's seeds are resampled with replacement."""
    rng = np.random.default_rng(seed)
    point = geometric_mean([ratio(ours, rivals) for ours, rivals in cases])
    draws = []
    for _ in range(resamples):
        ratios = []
        for ours, rivals in cases:
            pick = [r[rng.integers(len(r), size=len(r))] for r in rivals]
            ratios.append(ratio(ours[rng.integers(len(ours), size=len(ours))], pick))
        draws.append(geometric_mean(ratios))
    low, high = np.percentile(draws, [2.5, 97.5])
    return point, float(low), float(high)


def pooled(runs: Sequence[np.ndarray], scales: Sequence[float]) -> float:
    """One sampler's geometric mean of normalised regret: over problems, of the geometric
    mean over its seeds of regret divided by the problem's scale (each problem weighs the
    same, whatever its number of seeds)."""
    return geometric_mean([geometric_mean(r / s) for r, s in zip(runs, scales, strict=True)])


def pooled_means(cases: Sequence[tuple[float, np.ndarray, Sequence[np.ndarray]]]) -> list[float]:
    """``pooled`` of ours, then of each rival, each case being (scale, ours, rivals) for one
    problem, the rivals in the same order in every case."""
    scales = [scale for scale, _, _ in cases]
    samplers = [[o for _, o, _ in cases]]
    samplers += [[r[i] for _, _, r in cases] for i in range(len(cases[0][2]))]
    return [pooled(runs, scales) for runs in samplers]


def pooled_ratio(cases: Sequence[tuple[float, np.ndarray, Sequence[np.ndarray]]]) -> float:
    """``pooled`` of ours over the best rival's (cases as for ``pooled_means``)."""
    ours, *rivals = pooled_means(cases)
    return ours / min(rivals)


def bootstrap_pooled(
    cases: Sequence[tuple[float, np.ndarray, Sequence[np.ndarray]]],
    *,
    resamples: int = 1000,
    seed: int = 0,
) -> tuple[float, float, float]:
    """``pooled_ratio`` and its 95 % percentile interval when each sampler's seeds are
    resampled with replacement, problem by problem."""
    rng = np.random.default_rng(seed)
    point = pooled_ratio(cases)

    def pick(values: np.ndarray) -> np.ndarray:
        return values[rng.integers(len(values), size=len(values))]

    draws = [
        pooled_ratio([(scale, pick(o), [pick(r) for r in rivals]) for scale, o, rivals in cases])
        for _ in range(resamples)
    ]
    low, high = np.percentile(draws, [2.5, 97.5])
    return point, float(low), float(high)


def verdict(ours: np.ndarray, rival: np.ndarray) -> str:
    """win, tie or loss for ours against one rival (smaller is better). The side is the
    test's own, by ranks: two medians of a problem solved in most seeds are both its floor,
    and which side solved it more often is in the ranks, not the medians."""
    if np.array_equal(np.sort(ours), np.sort(rival)):
        return "tie"
    test = mannwhitneyu(ours, rival, alternative="two-sided")
    if float(test.pvalue) >= 0.05:
        return "tie"
    # U counts the pairs in which ours is the larger (ties half): below half of them, ours
    # is the smaller more often
    return "win" if float(test.statistic) < len(ours) * len(rival) / 2 else "loss"


def best_rival(rivals: Mapping[str, np.ndarray]) -> str:
    return min(rivals, key=lambda name: float(np.median(rivals[name])))
