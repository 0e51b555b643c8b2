"""Bayesian sampling: a Gaussian process over the unit cube, expected improvement, and
pending trials in the model, so concurrent suggestions spread out.

The choices below were measured with ``benchmarks/samplers.py`` (see its results).

- Space: each parameter is one coordinate of the unit cube (``Distribution.to_unit``;
  choices by their slice, log-scale types on the log scale), and a suggestion is mapped back
  with ``from_unit`` (so quantised and integer types stay quantised).
- Initial design: the first ``max(5, 2 * dimensions)`` trials follow the scrambled Sobol
  sequence, as does every trial until that many trials have reported the primary metric,
  and while every result is the same to ``FLAT_TOLERANCE`` (a model of a flat metric sends
  trials to the corners: where the metric moves only in a bump of 5 % of the cube, the
  sampler found it within 60 trials in 80 sweeps of 80, and in 30 when it fitted its model
  on the flat results; in 39 when the flat results differed in their 7th digit and only
  exactly equal ones counted as the same, ``benchmarks/plateau.py``). The design also takes
  the trial while the results look like noise (``_noise``): none stands out of the others
  (``without_outlier``), and the model predicts each from the others no better than their
  mean and spread do (``predictive_skill``), with its fitted noise or any of
  ``NOISE_LEVELS``. A metric at chance level is seldom exactly the same from run to run,
  and a model of that noise believes in a hill where the luckiest draws fell and spends
  the sweep there. On a design's spread-out points the test seldom holds (the model's
  fitted length scales give it some skill even on noise: in 6-D on 91-98 % of sets of 12
  to 48 Gaussian draws), but it does once the model's own trials crowd around a lucky draw,
  and the design goes on from there. With noise of sd 0.001 on every result of that bump
  (20 seeds, 60 trials, concurrency 1), the sampler found the bump in 17 sweeps of
  20 in 6-D and 19 in 3-D, against 8 and 13 without the test (Optuna's TPE 8 and 17, its
  GP 7 and 11). Noise-free, it changed 12 of 660 held-out runs of ``benchmarks/samplers.py``
  (Branin, Ackley and Levy: a rugged function's first results may look like noise). Once
  some trial has failed, that design passes over its points less than ``FINISHING``
  likely to finish (the failure model below): with a tenth of the trials lost at random it
  found the bump in 74 sweeps of 80, and in 42 when the first failure handed the search to
  the model. Where the space has finitely many configurations (choices, integers and
  quantised values only), a design trial takes the first point of the sequence, from its
  own index on, whose configuration no other trial has: in 16 trials planned at once on
  grids of 24 and 25 configurations, the sequence alone repeated a median of 2 and 3
  (``benchmarks/repeats.py``).
- Model: a Matérn 3/2 kernel with one length scale per coordinate, a signal and a noise
  variance, fitted by maximising the marginal likelihood times weak priors (length scales
  near the unit cube's size, little noise; L-BFGS-B with the analytic gradient, from a
  second, random start too while there are at most ``SECOND_START_LIMIT`` observations)
  on the best values of the trials that reported (better is bigger after the goal's sign).
  The kernel is refitted at every new observation up to ``REFIT_ALWAYS`` observations and
  then each time their number has grown by ``REFIT_GROWTH``; in between, the model keeps
  the kernel fitted on the first observations (by trial index; at most ``FIT_LIMIT`` of
  them) and conditions on all of them, up to ``MODEL_LIMIT`` (past it, on the best half of
  that many and an even spread of the rest, so a long sweep's suggestions stay within a
  second and the operator's memory bounded). Fits are memoised by their data, so the
  suggestions of one planning step, which see the same observations, share one fit.
  ``FIT_LIMIT`` is 128 (it was 256): at 200 results in 6-D a suggestion with a refit on
  187 of them took 45-52 ms against 36 ms on 128 (the best 64 and an even spread of the
  rest), with the kernel reused 16-19 ms (``benchmarks/samplers.py``'s latency, one BLAS
  thread, both side by side on an AMD EPYC machine). No sweep of the suite's 100 trials
  reaches 128; Hartmann-6 after 200 trials (seeds 0-29, concurrency 1 and 16) changed in
  15 of 60 runs, median regret 3.3e-5 / 4.6e-5 to 3.5e-5 / 3.7e-5, solved in 19 / 17 seeds
  either way; sweeps of 1300 trials (``benchmarks/scale.py --quality``, two seeds) ended
  with Levy's regret at 3.0e-5 against 3.4e-5 and Rosenbrock's at 0.0031 against 0.0025.
  Matérn 3/2 rather than the smoother 5/2 (a 3/2 function is once differentiable, a 5/2
  one twice, so 3/2 bends to rugged functions): pooled over all problems of the suite at
  concurrency 1/4/16, ours over the best of Optuna's samplers came to 0.70/0.71/0.48,
  0.42/0.46/0.58 and 0.68/0.55/0.56 on seeds 0-9, 10-19 and 20-29, against
  0.76/0.99/0.63, 0.49/0.51/0.57 and 0.71/0.66/0.53 with 5/2; Levy solved in 7-9 of 10
  seeds at concurrency 1 and 4 (was 0-2), Rosenbrock's valley worse at concurrency 1
  (0.79 to 1.22 on seeds 0-9); at concurrency 16 after 50 trials, worse on the synthetic
  problems (1.10-1.20 times 5/2's regret on each set of seeds). With noise on every result
  3/2 costs: the reported best trial's regret (``benchmarks/noise.py``, geometric means at
  noise 0.01 and 0.1 of the typical gap, concurrency 1 and 16) came to 0.24/0.23/1.29/1.32
  against 0.20/0.20/0.97/1.07, as a rougher model takes more of the noise for the function.
  Choosing one of the two at each refit by its posterior lay between them on the
  noise-free synthetic problems, for a second fit. The figures in the other points were
  measured with 5/2, when each choice was made; the reports under ``benchmarks/results/``
  are with 3/2.
- Values: standardised, then Yeo-Johnson transformed (its power fitted by maximum
  likelihood) and standardised again, so a long tail of bad trials does not flatten the model.
  In a space of at most ``COARSE_VALUES`` values per parameter, a loss (every value of one
  sign, the better ones nearer 0) is modelled on its logarithm instead where that is the
  likelier by the same normal likelihood, each on the loss's own scale (``_warp``). A
  validation error spans orders of magnitude (HPOLib's naval propulsion table: 3e-5 to 7e3),
  and on its linear scale the good configurations were a hair apart: the best of 100 trials
  was the table's best in 1, 1 and 0 of 10 seeds at concurrency 1 (seeds 0-9, 10-19, 20-29),
  with the logarithm in 10, 10 and 10 (at 16: 7, 10 and 9, against 1, 0 and 0); the other
  tabular problems maximise an accuracy and are unchanged. Not elsewhere: on continuous
  spaces the logarithm of a loss whose minimum is 0 (Levy, Ackley, Rosenbrock) is a funnel
  the smooth model cannot follow (Levy at concurrency 1 solved in none of 10 seeds instead
  of 9), and so it was on grids of 101 values per coordinate (Rosenbrock's median regret
  twice as large; Levy's best configuration found in 5 seeds instead of 8 at concurrency
  1, in none instead of 5 at 16), while on grids of 11 and 33 values it made no difference.
- Choices of numbers: a choice whose values are all numbers is one feature, each value at
  its rank among them, evenly spaced from 0 to 1 (``Encoding``), as an integer is; before,
  it was one indicator per value, as a choice of names is, so the model learnt nothing of
  32 from 16 and 64 (``benchmarks/ordered.py``: HPOBench australian and HPOLib naval
  propulsion with each ordered column a choice of its values, Hartmann-6 on 5 values and
  Levy-4 on 21 values per coordinate; 20 seeds, 100 trials, concurrency 1 and 16): the
  space's best configuration found in 45 and 36 sweeps of 80 against 21 and 16, median
  regret lower on Levy-4 and naval propulsion, level on Hartmann-6, 1.15 and 1.23 times
  the indicators' on australian.
- Width: a choice of names is one feature per value (``Encoding``), and a space of more than
  ``MAX_FEATURES`` features is refused. Past ``SQUARED_LIMIT`` numbers the likelihood works
  without its (features, n, n) array of squared differences, and past ``MOMENTS_LIMIT`` the
  refinement's moments take a few points at a time, so a choice of 1000 values stays within
  the operator's memory (``benchmarks/scale.py --choices``); below both, nothing changes.
- Pending trials (Pending or Running without a result, including those planned a moment
  ago) enter the model as observations of what the model predicts for them (kriging
  believer): the posterior variance collapses there, so the next suggestion of the same
  planning step goes elsewhere, while still near good regions. At most the latest
  ``PENDING_LIMIT`` of them (by index) enter.
- Prior mean: where some parameter is continuous, or an ordered number (randint, quniform,
  qloguniform, a choice of numbers) of more than ``COARSE_VALUES`` values, the objective's
  model takes ``PESSIMISM`` (4) standard deviations of the warped values below the lowest of
  them as its constant prior mean instead of 0, their mean: where it knows nothing it expects
  worse than the worst result, so a trial far from every result is worth little and the
  search keeps around the good results it has rather than in regions it knows nothing of.
  With the prior at the lowest value itself, as before, fewer sweeps of Hartmann-6 at
  concurrency 16 found the global optimum's basin (regret under 0.05): on seeds 60-419 240
  of 360 with 4 standard deviations against 214 (27 seeds gained, 1 lost), solved 227
  against 194. On the suite's held-out seeds 10-29 the synthetic problems' ratio to the
  best rival went from 0.29/0.15/0.55 to 0.25/0.11/0.36 at concurrency 1/4/16 (pooled over
  seeds 0.28/0.24/0.43 to 0.24/0.17/0.26), the tabular ones did not move (their prior is the
  mean, below), and SVC on breast cancer, whose optimum is on the boundary, was solved at
  concurrency 1 in 9 of 20 seeds instead of 13. On seeds 0-59 of Hartmann-6 at 16, 0, 0.5,
  1, 2, 4, 8 and 16 standard deviations reached the basin in 35, 36, 37, 39, 42, 43 and 44
  sweeps. 16 was tried first against a rule set before the runs (more of seeds 60-419 in
  the basin, by two standard errors; on seeds 10-29 no group's ratio up by more than 0.01
  and the pooled synthetic one at 16 down): it reached the basin in 273 of seeds 60-419 but
  cost the SVC tasks more (their pooled ratio at concurrency 1 1.10 against 1.00; breast
  cancer solved at 1/4/16 in 5, 9 and 7 of 20 seeds instead of 13, 16 and 10, digits at 1
  in 15 instead of 20); 4, run next, met it. Before that, with the prior at the mean, once
  the pending trials were believed (the variance collapses near the best results), the rest
  of a batch went where the variance is largest and the mean the results' average, the
  cube's corners: on Ackley-5 at concurrency 16 (seed 0) 15 and 13 of the 16 trials of the
  batches at trials 64 and 80 lay on the boundary, chosen by the expected improvement
  itself. Synthetic problems
  of ``benchmarks/samplers.py`` (ratio of medians to the best rival, geometric mean; seeds
  0-9 / 10-19 / 20-29, concurrency 1/4/16): 0.87/0.87/0.96, 0.39/0.20/0.49, 0.49/0.41/1.35
  became 0.58/0.67/0.99, 0.28/0.14/0.42, 0.30/0.28/0.63 (pooled over seeds: 0.59/0.56/0.70,
  0.33/0.27/0.49, 0.49/0.42/0.54 became 0.42/0.47/0.50, 0.24/0.19/0.41, 0.32/0.31/0.47).
  Ackley's median regret went from 0.19-0.31 to 0.015-0.023 at concurrency 1 and from
  1.1-1.5 to 0.49-0.62 at 16; Rosenbrock's valley lost (at 16 1.4-2.0 to 1.9-2.1), and SVC
  on breast cancer, whose optimum is on the boundary, which the prior no longer explores for
  free, was solved at 16 in 5, 3 and 6 seeds instead of 6, 8 and 8. Where every parameter is
  a choice of names (of any size) or takes few values (the suite's tabular problems) the
  prior stays at the mean: there most untried configurations lie far from every result in
  the model's metric (the values of a choice of names are a corner apart), and the
  pessimistic prior kept the search among those it knew (pooled ratio of the tabular
  problems at concurrency 1 0.31/0.08/0.19 became 0.42/0.15/0.25). An ordered number of many
  values lies as close to its neighbours as a continuous one (``benchmarks/quantised.py``:
  Ackley-5, Levy-4 and Rosenbrock-4 with each coordinate a quniform, 20 seeds; seeds that
  found the grid's best configuration, summed over the three, pessimistic against mean
  prior, at concurrency 1 / 16): 36/28 against 32/29 at 21 values, 40/24 against 34/18 at
  41, 30/5 against 14/6 at 101. The noise test (``predictive_skill``) and the failure model
  (``Feasibility``) keep the prior at 0. Local penalisation (Gonzalez et al. 2016) in place
  of the kriging believer, against the corners too, was worse (concurrency 16, seeds 10-29:
  Ackley 2.17 against 1.49, Levy 0.18 against 0.036).
- Acquisition: expected improvement over the best the model believes some result is (its
  posterior mean at the results; with a noisy metric the best result is the luckiest
  draw, and every point looks worse than it), maximised over scrambled Sobol candidates
  and candidates around the best observations, then refined by L-BFGS-B with its
  analytic gradient from the ten best candidates at once. With noise on every result
  (``benchmarks/noise.py``, geometric means over six functions) the reported best trial
  came 16-40 % closer to the optimum than with the best result as the bar on seeds 0-9;
  on held-out seeds 10-19 21-25 % closer at noise 0.01 of the typical gap and within 3 %
  at 0.1. Noise-free, the suite moved little (pooled ratio over seeds 0-29, all problems,
  c = 1/4/16: 0.64/0.69/0.58 against 0.67/0.71/0.59): Ackley at concurrency 1 gained
  (2.0-2.2 to 0.55-1.2) and Levy lost (0.017-0.048 to 0.033-0.068).
- Refinement: L-BFGS-B climbs the logarithm of the improvement (LogEI, Ament et al. 2023;
  computed through Mills' ratio, so it neither underflows nor cancels far below the bar).
  On the sum of the improvements themselves, as before, a start whose improvement was
  small next to the best start's barely moved, and scipy's stopping tolerances, absolute
  in effect, ended the climb early once every improvement was small, late in a sweep.
  Per-group ratio to the best rival (synthetic, concurrency 1/4/16): 0.29/0.15/0.62 to
  0.29/0.15/0.55 on held-out seeds 10-29 (pooled 0.28/0.24/0.44 to 0.28/0.24/0.43),
  0.58/0.67/0.99 to 0.62/0.62/0.75 on seeds 0-9; Levy and Rosenbrock came closer, Ackley a
  little further (on seeds 10-29 at 16, median regret: Levy 0.045 to 0.022, Ackley 0.51 to
  0.56); the tabular problems are unchanged, the refinement about 1-2 ms slower at 200
  results. With noise of a tenth of the typical gap on every result the reported best
  trial came further from the optimum at concurrency 1 (geometric mean 1.36 to 1.54,
  ``benchmarks/noise.py``, seeds 0-9), closer at a hundredth and at 16.
- Local candidates: a normal step from one of the best results, scaled per coordinate by
  half its fitted length scale (``Encoding.unit_spread``) and per candidate by a factor
  drawn log-uniformly from ``LOCAL_FINEST`` to 1 in continuous coordinates, uniformly
  from 0.05 to 1 in discrete ones (where a step much smaller than a slice lands on the
  configuration it started from). With 0.05 to 1 in every coordinate, as before, the best
  result at trial 100 of the same sweeps was further from the optimum (new over old,
  geometric mean over the six synthetic problems of median regret, seeds 0-9 / 10-19 /
  20-29: 0.85/0.91/0.94 at concurrency 1, 0.74/0.93/0.95 at 16; Ackley 0.38-0.71 at
  concurrency 1); the reported best trial with noise on every result came to
  0.20/0.17/1.32/1.14 against 0.24/0.23/1.29/1.32 (``benchmarks/noise.py``, noise 0.01 /
  0.1, concurrency 1 / 16). The tabular problems, all discrete, are bit for bit unchanged.
- Repeats: where the best point's configuration is one some trial already has (with a
  result, pending or failed; in a space of choices, or at an optimum on the boundary), the
  best candidate or refined point of a configuration none has is taken instead, if there is
  one. Taking the best point regardless spent up to 16 of 100 trials on NAS-Bench-201
  architectures already trained and 45 on one SVC sweep's corner
  (``benchmarks/repeats.py``).
- Failed trials (Failed or MetricsUnavailable) teach the model nothing about the objective,
  so a sampler that ignores them proposes the same region again and again (measured: 73-94
  of 100 trials failed where a tenth of the range past the optimum fails). Once a trial
  has failed, a second GP, fitted on finished (0) and failed (-2) trials, gives the
  probability that a trial finishes. A candidate is then worth its expected improvement
  where that probability is at least ``FINISHING`` and nothing elsewhere, and the
  refinement climbs the logarithm of the improvement times the probability. Weighting the
  candidates by the probability too lost fewer trials (60 against 71 of 500 at concurrency
  1, 62 against 84 at 16, ``benchmarks/failures.py``) but ended as far from the optimum at
  concurrency 1 and further at 16 (0.0074 against 0.0051) and where failures were random
  (0.0058 against 0.0039). Without failures nothing changes.
- Stagnation: when no candidate's expected improvement over the best result itself
  reaches ``STAGNANT`` (in standard deviations of the warped values), the model sees
  nothing worth a trial near what it knows, yet it may be confidently wrong (Branin
  trapped 4 of 50 seeds at concurrency 1 polishing a local optimum on the boundary to
  the sixth decimal for 80 trials). Then every other suggestion (even trial index) goes
  to the Sobol candidate where the model is least certain, and the ones in between go on
  polishing. Judged against the bar of the believed best instead, a noisy metric kept it
  polishing one spot: Branin with noise of a tenth of its typical gap drew every trial
  from the 20th on to one boundary point in at least 3 of 10 seeds.

Deterministic under the seed: every random draw is seeded by (seed, index), and the
memoised fits are a pure function of their data. That holds bit for bit for the same
numpy, scipy and BLAS kernels: OpenBLAS's AVX-512 kernels round differently from its AVX2
ones, and over many trials a last-bit difference can lead the search elsewhere.

Azure ML admits choice, uniform and quniform for bayesian; kubesweep also admits
loguniform, qloguniform and randint as its extension (the model searches them on the log
scale and by integer slice).
"""

from __future__ import annotations

import copy
import math
import operator
import threading
import warnings
from collections import OrderedDict
from collections.abc import Mapping, Sequence

import numpy as np
from scipy.linalg import lapack
from scipy.optimize import minimize, minimize_scalar
from scipy.special import erfcx, log_ndtr, ndtr
from scipy.stats import qmc

from kubesweep.domain.errors import SpecError
from kubesweep.domain.samplers._random import SobolSampler
from kubesweep.domain.space import (
    Choice,
    Distribution,
    LogUniform,
    ParameterValue,
    QLogNormal,
    QLogUniform,
    QNormal,
    QUniform,
    RandInt,
    SearchSpace,
    Uniform,
    configurations,
    value_count,
)
from kubesweep.domain.trials import Goal, Objective, TrialPhase, TrialRecord

AZURE_ADMITTED = (Choice, Uniform, QUniform)
"""The distributions Azure ML admits for Bayesian sampling."""

ADMITTED = (*AZURE_ADMITTED, LogUniform, QLogUniform, RandInt)
"""What kubesweep admits: Azure's, and as our extension the bounded log-scale and integer
types (the unbounded normal family has no box for the model to search)."""

DISCRETE = (RandInt, QUniform, QLogUniform, QNormal, QLogNormal)

CANDIDATES = 1024
LOCAL_CANDIDATES = 512
LOCAL_FINEST = 0.01
REFINED = 10
STAGNANT = 3e-4
REFIT_ALWAYS = 30
REFIT_GROWTH = 1.1
FIT_LIMIT = 128
MODEL_LIMIT = 1000
PENDING_LIMIT = 256
SECOND_START_LIMIT = REFIT_ALWAYS
FINISHING = 0.5
PESSIMISM = 4.0  # the prior mean's standard deviations below the worst result (Prior mean)
MAX_FEATURES = 1024
SQUARED_LIMIT = 1 << 22
MOMENTS_LIMIT = 1 << 20
DESIGN_LOOKAHEAD = 4096
DESIGN_REACH = 1 << 16
FLAT_TOLERANCE = 1e-6
COARSE_VALUES = 32  # values per parameter, at most, for a loss's logarithm (see Values)
NOISE_OUTLIER = 5.0
NOISE_LEVELS = (0.01, 0.1, 0.3)
TAKEN_CHUNK = 1024
_JITTER = 1e-8
_NOISE_PRIOR = math.log(1e-4)
_ACTIVE = frozenset(phase for phase in TrialPhase if phase.active)
_FIT_CACHE: OrderedDict[bytes, np.ndarray] = OrderedDict()
_FIT_CACHE_SIZE = 16
_FIT_CACHE_LOCK = threading.Lock()  # kopf runs sync handlers on a thread pool


# The kernel and the likelihood work on (m, n) matrices which, at a few hundred observations,
# no longer fit in the processor's cache: they compute in place where they can (the same
# operations on the same operands, so the same bits, in fewer passes over memory).


def _matern32(a: np.ndarray, b: np.ndarray, lengths: np.ndarray, signal: float) -> np.ndarray:
    r = _scaled_distances(a, b, lengths)
    return _matern_shape(r, signal, np.exp(-r))


def _scaled_distances(a: np.ndarray, b: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """sqrt(3) times the distances between the rows of a and of b, in length scales."""
    scaled_a, scaled_b = a / lengths, b / lengths
    cross = scaled_a @ scaled_b.T
    cross *= -2.0
    squared = (scaled_a**2).sum(axis=1)[:, None] + (scaled_b**2).sum(axis=1)[None, :]
    squared += cross
    np.maximum(squared, 0.0, out=squared)
    squared *= 3.0
    result: np.ndarray = np.sqrt(squared, out=squared)
    return result


def _matern_shape(r: np.ndarray, signal: float, decay: np.ndarray) -> np.ndarray:
    """signal (1 + r) e^-r, given decay = e^-r, computed in r (which it returns)."""
    result: np.ndarray = np.add(1.0, r, out=r)
    result *= signal
    result *= decay
    return result


# The standard normal's cdf and pdf as scipy.stats.norm computes them (the same bits),
# without its checks of arguments: at 200 results those took 1.5 ms of a 16 ms suggestion
_SQRT_TAU = float(np.sqrt(2 * np.pi))


def _normal_cdf(z: np.ndarray) -> np.ndarray:
    result: np.ndarray = ndtr(z)
    return result


def _normal_pdf(z: np.ndarray) -> np.ndarray:
    result: np.ndarray = np.exp(-(z**2) / 2.0) / _SQRT_TAU
    return result


def _log_normal_pdf(z: np.ndarray) -> np.ndarray:
    result: np.ndarray = -(z**2) / 2.0 - math.log(_SQRT_TAU)
    return result


def _log_h(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """log h(z) and its derivative Phi(z) / h(z), where h(z) = z Phi(z) + phi(z) is EI at
    unit standard deviation. Below z = -1, where the sum cancels and then underflows, as
    log phi(z) + log(1 - t R(t)) with t = -z and R Mills' ratio (Ament et al. 2023, LogEI),
    past t = 100 by its asymptotic series."""
    log_h, slope = np.empty_like(z), np.empty_like(z)
    high = z > -1.0
    above = z[high]
    cdf = ndtr(above)
    h = above * cdf + _normal_pdf(above)
    log_h[high], slope[high] = np.log(h), cdf / h
    t = -z[~high]
    mills = math.sqrt(math.pi / 2.0) * erfcx(t / math.sqrt(2.0))  # Phi(-t) / phi(t)
    rest = np.where(t < 100.0, 1.0 - t * mills, (1.0 - 3.0 / t**2 + 15.0 / t**4) / t**2)
    log_h[~high], slope[~high] = _log_normal_pdf(-t) + np.log(rest), mills / rest
    return log_h, slope


def _cholesky(matrix: np.ndarray) -> np.ndarray | None:
    factor, info = lapack.dpotrf(matrix, lower=1, clean=1)
    return None if info != 0 else factor


def _solve(factor: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    solved: np.ndarray = lapack.dpotrs(factor, rhs, lower=1)[0]
    return solved


def fit_size(observations: int) -> int:
    """How many observations (the first, by trial index) the kernel is refitted on."""
    if observations <= REFIT_ALWAYS:
        return observations
    size = REFIT_ALWAYS
    while math.ceil(size * REFIT_GROWTH) <= observations:
        size = math.ceil(size * REFIT_GROWTH)
    return size


def pessimistic_prior(y: np.ndarray) -> float:
    """The pessimistic prior mean of a model of the (warped) values ``y``: ``PESSIMISM``
    standard deviations below the worst of them (see Prior mean)."""
    return float(y.min()) - PESSIMISM * float(y.std())


def fit_subset(values: np.ndarray, limit: int = FIT_LIMIT) -> np.ndarray:
    """Which of ``values`` the model uses (the kernel is fitted on at most ``FIT_LIMIT`` of
    the fit's prefix, conditioned on at most ``MODEL_LIMIT``): all of them up to ``limit``,
    then the best half of that limit and an even spread of the rest, by trial index."""
    if len(values) <= limit:
        return np.arange(len(values))
    ranked = np.argsort(-values, kind="stable")
    best, rest = ranked[: limit // 2], np.sort(ranked[limit // 2 :])
    spread = rest[np.linspace(0, len(rest) - 1, limit - len(best)).round().astype(int)]
    return np.sort(np.concatenate([best, spread]))


class _Likelihood:
    """The negative log posterior of the kernel's parameters (marginal likelihood of a
    Matérn 3/2 ARD GP times weak priors), with its gradient in the log parameters (log length
    scales, log signal variance, log noise variance)."""

    def __init__(self, x: np.ndarray, y: np.ndarray) -> None:
        n, d = x.shape
        self.n, self.d, self.x, self.y = n, d, x, y
        # (d, n*n): squared coordinate differences, so r^2 is one matrix-vector product;
        # None where that would take more than SQUARED_LIMIT numbers (many choice values):
        # then r^2 and the length scales' gradient come from (n, d) products instead
        self.squared: np.ndarray | None = None
        if d * n * n <= SQUARED_LIMIT:
            self.squared = ((x[:, None, :] - x[None, :, :]) ** 2).transpose(2, 0, 1).reshape(d, -1)

    def _distances(self, inverse: np.ndarray) -> np.ndarray:
        """r = sqrt(3 sum_j (x_ij - x_kj)^2 / l_j^2), an (n, n) matrix."""
        if self.squared is None:
            return _scaled_distances(self.x, self.x, inverse**-0.5)
        r: np.ndarray = inverse @ self.squared
        r *= 3.0
        distances: np.ndarray = np.sqrt(r, out=r).reshape(self.n, self.n)
        return distances

    def _length_slopes(self, weights: np.ndarray) -> np.ndarray:
        """sum_ik weights_ik (x_ij - x_kj)^2 for each coordinate j (the diagonal of weights
        does not count: it multiplies zero)."""
        if self.squared is not None:
            slopes: np.ndarray = self.squared @ weights.ravel()
            return slopes
        # (x_ij - x_kj)^2 = x_ij^2 + x_kj^2 - 2 x_ij x_kj, with weights made symmetric
        symmetric = weights + weights.T
        symmetric *= 0.5
        x = self.x
        result: np.ndarray = 2.0 * ((x * x).T @ symmetric.sum(axis=1)) - 2.0 * (
            x * (symmetric @ x)
        ).sum(axis=0)
        return result

    def __call__(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        n, d = self.n, self.d
        inverse = np.exp(-2.0 * theta[:d])
        signal, noise = math.exp(theta[d]), math.exp(theta[d + 1])
        r = self._distances(inverse)
        decay = np.exp(-r)
        base = _matern_shape(r, signal, decay)  # computed in r's memory: r is gone
        k = base.copy()
        k.flat[:: n + 1] += noise + _JITTER
        factor = _cholesky(k)
        if factor is None:
            return 1e10, np.zeros_like(theta)
        alpha = _solve(factor, self.y)
        value = 0.5 * float(self.y @ alpha) + float(np.log(np.diag(factor)).sum())
        # d(value)/d(theta) = 0.5 tr((K^-1 - alpha alpha^T) dK/dtheta). dpotri fills only the
        # lower triangle of K^-1 (the factor's upper one is clean zeros); every dK is
        # symmetric, so the lower triangle counted twice stands for the whole matrix, and
        # its diagonal, counted once too many, is taken off again where it matters (the
        # length scales' dK vanishes on the diagonal)
        inner, _ = lapack.dpotri(factor, lower=1)
        diagonal = np.diag(inner).copy()
        inner *= 2.0
        inner -= np.outer(alpha, alpha)
        gradient = np.empty_like(theta)
        # dk/dlog l_j = 3 s e^-r (x_ij - x_kj)^2 / l_j^2
        weights = np.multiply(decay, 3.0 * signal, out=decay)
        weights *= inner
        gradient[:d] = 0.5 * self._length_slopes(weights) * inverse
        base *= inner
        gradient[d] = 0.5 * (float(base.sum()) - signal * float(diagonal.sum()))
        gradient[d + 1] = 0.5 * noise * (float(diagonal.sum()) - float(alpha @ alpha))
        # log priors (maximum a posteriori rather than likelihood): length scales near 1
        # (a penalty 0.1 (l^2 + l^-2) each, so a handful of points cannot make the model
        # needle-sharp or flat), the noise near 1e-4 and the signal near 1 (log-normal)
        value += float((0.1 * np.exp(2.0 * theta[:d]) + 0.1 * np.exp(-2.0 * theta[:d])).sum())
        gradient[:d] += 0.2 * np.exp(2.0 * theta[:d]) - 0.2 * np.exp(-2.0 * theta[:d])
        value += 0.5 * ((theta[d + 1] - _NOISE_PRIOR) / 2.0) ** 2 + 0.5 * (theta[d] / 1.5) ** 2
        gradient[d + 1] += (theta[d + 1] - _NOISE_PRIOR) / 4.0
        gradient[d] += theta[d] / 2.25
        return value, gradient


def fit_kernel(x: np.ndarray, y: np.ndarray, seed: int) -> np.ndarray:
    """The kernel's log parameters maximising the marginal likelihood (memoised)."""
    key = b"".join([x.tobytes(), y.tobytes(), str((x.shape, seed)).encode()])
    with _FIT_CACHE_LOCK:
        cached = _FIT_CACHE.get(key)
        if cached is not None:
            _FIT_CACHE.move_to_end(key)
            return cached.copy()
    d = x.shape[1]
    likelihood = _Likelihood(x, y)
    rng = np.random.default_rng(seed)
    starts = [np.array([math.log(0.3)] * d + [0.0, math.log(1e-3)])]
    if len(y) <= SECOND_START_LIMIT:
        starts.append(
            np.concatenate([rng.uniform(math.log(0.05), math.log(2.0), d), [0.0, math.log(1e-2)]])
        )
    bounds = [(math.log(0.01), math.log(20.0))] * d + [
        (math.log(0.05), math.log(20.0)),
        (math.log(1e-6), math.log(0.5)),
    ]
    best = None
    for start in starts:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            found = minimize(
                likelihood, start, jac=True, method="L-BFGS-B", bounds=bounds,
                options={"maxiter": 50, "ftol": 1e-7},
            )  # fmt: skip
        if best is None or found.fun < best.fun:
            best = found
    assert best is not None
    theta: np.ndarray = best.x
    with _FIT_CACHE_LOCK:
        _FIT_CACHE[key] = theta.copy()
        if len(_FIT_CACHE) > _FIT_CACHE_SIZE:
            _FIT_CACHE.popitem(last=False)
    return theta


class GaussianProcess:
    """A GP with a Matérn 3/2 ARD kernel of the given log parameters and a constant prior
    mean ``prior``, conditioned on data."""

    def __init__(self, x: np.ndarray, y: np.ndarray, theta: np.ndarray, prior: float = 0.0) -> None:
        d = x.shape[1]
        self.x, self.y, self.theta, self.prior = x, y, theta, prior
        self.lengths = np.exp(theta[:d])
        self.signal, noise = float(np.exp(theta[d])), float(np.exp(theta[d + 1]))
        k = _matern32(x, x, self.lengths, self.signal)
        self._diagonal = noise + _JITTER  # what the model puts down to noise
        k.flat[:: len(x) + 1] += self._diagonal
        factor = _cholesky(k)
        if factor is None:  # numerically singular: more jitter, then give up loudly
            k.flat[:: len(x) + 1] += 1e-6
            self._diagonal += 1e-6
            factor = _cholesky(k)
            if factor is None:
                raise np.linalg.LinAlgError("the kernel matrix is not positive definite")
        self.factor = factor
        self.alpha = _solve(factor, y - prior)

    def with_prior(self, prior: float) -> GaussianProcess:
        """The same GP with the prior mean ``prior``: the same kernel matrix and its
        factor, only ``alpha`` solved again."""
        other = copy.copy(self)
        other.prior, other.alpha = prior, _solve(self.factor, self.y - prior)
        return other

    def fitted(self) -> np.ndarray:
        """The posterior mean at the points the model is conditioned on: their values less
        what the model puts down to noise (the kernel times ``alpha`` is ``y``, so the
        noise-free part is ``y`` less the noise times ``alpha``, whatever the prior
        mean), without a solve."""
        result: np.ndarray = self.y - self._diagonal * self.alpha
        return result

    def predict(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        cross = _matern32(points, self.x, self.lengths, self.signal)
        mean = self.prior + cross @ self.alpha
        half = lapack.dtrtrs(self.factor, cross.T, lower=1)[0]
        variance = self.signal - (half**2).sum(axis=0)
        return mean, np.sqrt(np.maximum(variance, 1e-12))

    def moments_and_gradients(
        self, points: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The posterior mean and standard deviation at each point, and the gradients of the
        mean and of the variance in the point's coordinates.

        For the Matérn 3/2 kernel, dk/dx = -3 s e^-r (x - x_i) / l^2, so the mean's gradient
        is sum_i alpha_i dk_i/dx and the variance's -2 (K^-1 k)^T dk/dx.
        The work holds (points, observations, features) arrays: past MOMENTS_LIMIT numbers
        (many choice values), a few points at a time.
        """
        rows = max(1, MOMENTS_LIMIT // self.x.size)
        if len(points) > rows:
            parts = [
                self.moments_and_gradients(points[start : start + rows])
                for start in range(0, len(points), rows)
            ]
            mean, sd, mean_gradient, variance_gradient = (
                np.concatenate(p) for p in zip(*parts, strict=True)
            )
            return mean, sd, mean_gradient, variance_gradient
        difference = (points[:, None, :] - self.x[None, :, :]) / self.lengths**2  # (m, n, d)
        r = np.sqrt(3.0 * (difference**2 * self.lengths**2).sum(axis=-1))
        decay = np.exp(-r)
        slope = -3.0 * self.signal * decay  # (m, n)
        cross = _matern_shape(r, self.signal, decay)  # r is gone
        mean = self.prior + cross @ self.alpha
        half = lapack.dtrtrs(self.factor, cross.T, lower=1)[0]
        variance = np.maximum(self.signal - (half**2).sum(axis=0), 1e-12)
        sd = np.sqrt(variance)
        weighted = lapack.dtrtrs(self.factor, half, lower=1, trans=1)[0].T  # K^-1 k, (m, n)
        mean_gradient = np.einsum("mn,mnd->md", slope * self.alpha[None, :], difference)
        variance_gradient = -2.0 * np.einsum("mn,mnd->md", slope * weighted, difference)
        return mean, sd, mean_gradient, variance_gradient

    def log_expected_improvement_and_gradient(
        self, points: np.ndarray, best: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """The logarithm of EI at each point, finite however far the point is below
        ``best``, and its gradient in the point's coordinates."""
        mean, sd, mean_gradient, variance_gradient = self.moments_and_gradients(points)
        z = (mean - best) / sd
        log_h, slope = _log_h(z)
        # log EI = log sd + log h(z): d/dx = dsd / sd + h'/h (dmean - z dsd) / sd
        sd_gradient = variance_gradient / (2.0 * sd[:, None])
        gradient = (sd_gradient + slope[:, None] * (mean_gradient - z[:, None] * sd_gradient)) / (
            sd[:, None]
        )
        return np.log(sd) + log_h, gradient


def _standardise(values: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore", invalid="ignore"):
        centre, spread = values.mean(), float(values.std())
    if not (math.isfinite(centre) and math.isfinite(spread)) or (
        spread == 0.0 and float(np.ptp(values)) > 0.0
    ):
        # the squares overflowed (values past about 1e154) or underflowed (differences below
        # about 1e-162; a metric may be anything finite): the same standardisation, of the
        # values scaled into [-1, 1] first
        return _standardise(values / float(np.abs(values).max()))
    result: np.ndarray = (values - centre) / (spread or 1.0)
    return result


def yeojohnson(values: np.ndarray, power: float) -> np.ndarray:
    """The Yeo-Johnson transform (scipy.stats.yeojohnson's, without its per-call overhead,
    which was a third of a suggestion's time)."""
    result = np.empty_like(values)
    positive = values >= 0
    if abs(power) < 1e-12:
        result[positive] = np.log1p(values[positive])
    else:
        result[positive] = (np.power(values[positive] + 1.0, power) - 1.0) / power
    if abs(power - 2.0) < 1e-12:
        result[~positive] = -np.log1p(-values[~positive])
    else:
        result[~positive] = -(np.power(1.0 - values[~positive], 2.0 - power) - 1.0) / (2.0 - power)
    return result


def yeojohnson_fit(values: np.ndarray) -> tuple[float, float]:
    """The power maximising the Yeo-Johnson log-likelihood of ``values`` in [-3, 5] (standardised
    values never need more; scipy.stats.yeojohnson_normmax finds the same maximum), and the
    profile log-likelihood there (a normal of fitted variance, with the transform's
    Jacobian; up to a constant, -inf where the transformed values have no spread)."""
    jacobian = float((np.sign(values) * np.log1p(np.abs(values))).sum())

    def negative(power: float) -> float:
        variance = float(yeojohnson(values, power).var())
        if not variance > 0.0 or not math.isfinite(variance):
            return math.inf
        return 0.5 * len(values) * math.log(variance) - (power - 1.0) * jacobian

    found = minimize_scalar(negative, bounds=(-3.0, 5.0), method="bounded", options={"xatol": 1e-4})
    return float(found.x), -float(found.fun)


def _yeojohnson_warp(values: np.ndarray) -> tuple[np.ndarray, float]:
    """Standardised values, Yeo-Johnson transformed towards normality and standardised again,
    so a few very bad trials (a long lower tail) do not flatten the model everywhere else;
    and the profile log-likelihood of the standardised values under that transform (a normal
    of fitted variance, with the transform's Jacobian; 0 where no power is applied). Only a
    power above 1 is applied: one below 1 would compress the upper tail, the good results
    the search must tell apart."""
    standard = _standardise(values)
    if float(np.ptp(standard)) == 0.0:
        return standard, 0.0
    with np.errstate(all="ignore"):
        power, likelihood = yeojohnson_fit(standard)
        if not math.isfinite(power) or power <= 1.0:
            return standard, 0.0
        transformed = yeojohnson(standard, power)
    if not np.all(np.isfinite(transformed)) or not math.isfinite(likelihood):
        # (an infinite likelihood: distinct values that the transform's rounding made one)
        return standard, 0.0
    return _standardise(transformed), likelihood


def _warp(values: np.ndarray, logarithm: bool = False) -> np.ndarray:
    """The values as the model sees them (``_yeojohnson_warp``). With ``logarithm``, where
    every value is negative (a positive metric minimised, such as a loss), the same of the
    metric's logarithm instead if that is the likelier of the two by the likelihood of a
    normal, each on the metric's own scale (the standardisation's scale and the logarithm's
    Jacobian counted): a loss spanning orders of magnitude leaves the good results a hair
    apart on its linear scale, and far apart on its logarithm."""
    warped, likelihood = _yeojohnson_warp(values)
    if not logarithm or not float(values.max()) < 0.0:
        return warped
    with np.errstate(all="ignore"):
        magnitudes = np.log(-values)
        spread, log_spread = float(values.std()), float(magnitudes.std())
    if not all(math.isfinite(scale) and scale > 0.0 for scale in (spread, log_spread)):
        return warped
    logged, log_likelihood = _yeojohnson_warp(-magnitudes)
    count = len(values)
    log_likelihood -= count * math.log(log_spread) + float(magnitudes.sum())
    if log_likelihood > likelihood - count * math.log(spread):
        return logged
    return warped


def numeric_ranks(values: Sequence[ParameterValue]) -> np.ndarray | None:
    """Each value's rank among the distinct ``values``, evenly spaced from 0 to 1 (a value
    listed twice has one rank), where every value is a number (not a boolean) and at least
    two differ; None otherwise."""
    if not all(type(value) in (int, float) for value in values):
        return None
    # compared as Python numbers, exactly: an integer past a float's range is no error
    distinct = sorted(set(values))
    if len(distinct) < 2:
        return None
    rank = {value: position / (len(distinct) - 1) for position, value in enumerate(distinct)}
    return np.array([rank[value] for value in values])


class Encoding:
    """From the unit cube the sampler searches to the features the GP sees: a choice of
    names becomes one indicator per value (categories have no order), a choice of numbers
    (with ``ordered``) one feature, each value at its rank among them, evenly spaced from 0
    to 1 (16, 32, 64, 128 as 0, 1/3, 2/3, 1: a batch size or a learning rate listed by
    hand is an ordered number whose neighbours score alike), an integer or quantised
    parameter is snapped to the middle of its value's slice (the model sees the value the
    trial will get), a continuous one stays as it is."""

    def __init__(self, space: SearchSpace, ordered: bool = True) -> None:
        # column, kind, distribution, width
        self.parts: list[tuple[int, str, Distribution, int]] = []
        self._ranks: dict[int, np.ndarray] = {}  # per ranked column, each slot's feature
        for column, (_, distribution) in enumerate(space):
            if isinstance(distribution, Choice):
                ranks = numeric_ranks(distribution.values) if ordered else None
                if ranks is None:
                    self.parts.append((column, "onehot", distribution, len(distribution.values)))
                else:
                    self._ranks[column] = ranks
                    self.parts.append((column, "rank", distribution, 1))
            elif isinstance(distribution, DISCRETE):
                self.parts.append((column, "snap", distribution, 1))
            else:
                self.parts.append((column, "same", distribution, 1))
        self.width = sum(width for *_, width in self.parts)

    def __call__(self, unit: np.ndarray) -> np.ndarray:
        columns = []
        for column, kind, distribution, width in self.parts:
            u = unit[:, column]
            if kind == "onehot":
                slot = np.clip((u * width).astype(int), 0, width - 1)
                columns.append(np.eye(width)[slot])
            elif kind == "rank":
                ranks = self._ranks[column]
                slot = np.clip((u * len(ranks)).astype(int), 0, len(ranks) - 1)
                columns.append(ranks[slot][:, None])
            elif kind == "snap":
                snapped = [distribution.to_unit(distribution.from_unit(float(v))) for v in u]
                columns.append(np.array(snapped)[:, None])
            else:
                columns.append(u[:, None])
        return np.hstack(columns)

    def unit_gradient(self, gradient: np.ndarray) -> np.ndarray:
        """A gradient in features as one in the unit cube: discrete coordinates are flat."""
        result = np.zeros((gradient.shape[0], len(self.parts)))
        feature = 0
        for column, kind, _, width in self.parts:
            if kind == "same":
                result[:, column] = gradient[:, feature]
            feature += width
        return result

    @property
    def indicators(self) -> list[tuple[int, int]]:
        """The choices seen as one indicator per value: (the parameter's column, how many
        values it lists)."""
        return [(column, width) for column, kind, _, width in self.parts if kind == "onehot"]

    @property
    def continuous(self) -> np.ndarray:
        """Per unit coordinate, whether it is continuous (not a choice, not snapped)."""
        return np.array([kind == "same" for _, kind, _, _ in self.parts])

    def unit_spread(self, lengths: np.ndarray) -> np.ndarray:
        """How far to look around a good point, per unit coordinate: half the fitted length
        scale of continuous, snapped and ranked coordinates (at most 0.25), 0.25 for
        choices of names."""
        result = np.full(len(self.parts), 0.25)
        feature = 0
        for column, kind, _, width in self.parts:
            if kind != "onehot":
                result[column] = min(float(lengths[feature]) / 2.0, 0.25)
            feature += width
        return result


def expected_improvement(mean: np.ndarray, sd: np.ndarray, best: float) -> np.ndarray:
    z = (mean - best) / sd
    result: np.ndarray = (mean - best) * _normal_cdf(z) + sd * _normal_pdf(z)
    return result


def without_outlier(values: np.ndarray) -> bool:
    """Whether every value lies within ``NOISE_OUTLIER`` robust standard deviations (1.4826
    times the median absolute deviation) of their median, as Gaussian noise does: some
    draw lies past 5 in 3-5 % of sets of 8 to 12 draws, 1.4 % of 20 and 0.1-0.4 % of 40 to
    1000. A metric's values over a space often do not (Hartmann-6 at 20 Sobol points: a
    median of 10 robust sds; but Levy and Ackley 2.1-2.7, like noise), nor do they once a
    trial found where a flat metric moves. False where more than half the values are the
    same."""
    centre = float(np.median(values))
    deviations = np.abs(values - centre)
    spread = 1.4826 * float(np.median(deviations))
    return spread > 0.0 and float(deviations.max()) <= NOISE_OUTLIER * spread


def predictive_skill(model: GaussianProcess) -> float:
    """How much better, in log density per point, the model predicts each of its values
    from the others (leave-one-out, in closed form: Rasmussen and Williams, eq. 5.12) than
    the others' mean and variance do: 0.5 and more for a smooth function, and about 0 or
    below for noise at points that crowd together. (Its kernel was fitted to all the
    values, the one left out too, so on noise at spread-out points it is mostly above 0:
    a median of 0.05 in 2-D, 0.21 in 3-D and 0.32 in 6-D at 12 Sobol points, 0.09 in 6-D
    at 48; 200 sets each.)"""
    y, alpha = model.y, model.alpha
    n = len(y)
    inverse = lapack.dpotri(model.factor, lower=1)[0].diagonal()
    fitted = float((0.5 * np.log(inverse) - alpha**2 / (2.0 * inverse)).sum())
    mean = (y.sum() - y) / (n - 1)
    variance = np.maximum(((y * y).sum() - y * y) / (n - 1) - mean**2, 1e-12)
    flat = float((-0.5 * np.log(variance) - (y - mean) ** 2 / (2.0 * variance)).sum())
    return (fitted - flat) / n


class Feasibility:
    """How likely a trial at a point is to finish rather than fail, from the trials that
    finished (target 0) and failed (target -2): a GP with its own fitted kernel, so it
    learns which coordinates the failures depend on. The probability is
    Phi((1 + mean) / sd): about 1 next to trials that finished, about 0 next to failures,
    one half between them, and Phi(1) (0.84) far from both, so unexplored regions stay
    worth a trial."""

    FAILED = -2.0

    def __init__(self, x: np.ndarray, failed: np.ndarray, seed: int) -> None:
        targets = np.where(failed, self.FAILED, 0.0)
        # the same refit schedule and caps as the objective's model, failures kept first
        subset = fit_subset(-targets[: fit_size(len(targets))])
        theta = fit_kernel(x[subset], targets[subset], seed=seed)
        kept = fit_subset(-targets, MODEL_LIMIT)
        self.model = GaussianProcess(x[kept], targets[kept], theta)

    def probability(self, points: np.ndarray) -> np.ndarray:
        mean, sd = self.model.predict(points)
        result: np.ndarray = _normal_cdf((1.0 + mean) / sd)
        return result

    def log_probability_and_gradient(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The logarithm of ``probability`` and its gradient in the points' coordinates."""
        mean, sd, mean_gradient, variance_gradient = self.model.moments_and_gradients(points)
        u = (1.0 + mean) / sd
        # du/dx = (dmean/dx) / sd - (1 + mean) (dvariance/dx) / (2 sd^3)
        slope = mean_gradient / sd[:, None] - ((1.0 + mean) / (2.0 * sd**3))[:, None] * (
            variance_gradient
        )
        log_probability = log_ndtr(u)
        return log_probability, np.exp(_log_normal_pdf(u) - log_probability)[:, None] * slope


class Acquisition:
    """What a trial at a point is worth: its expected improvement over ``best`` under the
    model. Once some trials failed, only where a trial is at least ``FINISHING`` likely to
    finish; where no candidate is, the improvement times that probability. Which of the two
    is decided on the first points it scores, the candidates."""

    def __init__(
        self,
        model: GaussianProcess,
        best: float,
        feasibility: Feasibility | None,
        drawn: float | None = None,
    ):
        self.model, self.best, self.feasibility = model, best, feasibility
        self.drawn = best if drawn is None else drawn
        self.strict: bool | None = None

    def _weights(self, features: np.ndarray) -> np.ndarray | None:
        if self.feasibility is None:
            return None
        finishing = self.feasibility.probability(features)
        likely = finishing >= FINISHING
        if self.strict is None:
            self.strict = bool(likely.any())
        return likely.astype(float) if self.strict else finishing

    def scores_and_uncertainty(self, features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The worth of each point, and what a trial there would teach (the model's
        standard deviation, where it counts as the worth does)."""
        scores, sd, _ = self.scores_uncertainty_and_hope(features)
        return scores, sd

    def scores_uncertainty_and_hope(
        self, features: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """As ``scores_and_uncertainty``, and the expected improvement over ``drawn``, the
        best result itself: whether a trial may yet beat what the sweep reports."""
        mean, sd = self.model.predict(features)
        scores = expected_improvement(mean, sd, self.best)
        hope = scores if self.drawn == self.best else expected_improvement(mean, sd, self.drawn)
        weights = self._weights(features)
        if weights is None:
            return scores, sd, hope
        return scores * weights, sd * weights, hope * weights

    def log_value_and_gradient(self, features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The refinement's objective at each point and its gradient in the features: the
        logarithm of the expected improvement, times the probability of finishing once some
        trials failed (smooth, so the refinement stays where trials finish; its result is
        scored again)."""
        value, gradient = self.model.log_expected_improvement_and_gradient(features, self.best)
        if self.feasibility is None:
            return value, gradient
        finishing, slope = self.feasibility.log_probability_and_gradient(features)
        return value + finishing, gradient + slope


class BayesianSampler:
    def __init__(
        self,
        space: SearchSpace,
        *,
        seed: int,
        objective: Objective | None = None,
    ) -> None:
        for name, distribution in space:
            if not isinstance(distribution, ADMITTED):
                raise SpecError(
                    f"{name}.type",
                    f"bayesian sampling accepts parameters of type choice, uniform, "
                    f"quniform, loguniform, qloguniform or randint, but {name!r} is "
                    f"{distribution.type_name}",
                )
        self._space = space
        self._seed = seed
        self._sign = -1.0 if objective is not None and objective.goal is Goal.MINIMIZE else 1.0
        self._objective = objective or Objective("objective", Goal.MAXIMIZE)
        self._initial_design = SobolSampler(space, seed=seed)
        self._encoding = Encoding(space)
        if self._encoding.width > MAX_FEATURES:
            # the model's time and memory grow with its features (measured by
            # benchmarks/scale.py --choices): name the widest choice of names, if any
            names = space.names
            sizes = [(width, names[column]) for column, width in self._encoding.indicators]
            values, widest = max(sizes, default=(0, ""))
            raise SpecError(
                f"{widest}.values" if widest else "",
                f"bayesian sampling models each value of a choice of names as a feature of "
                f"its own, and each other parameter as one, at most {MAX_FEATURES} in all; "
                f"this search space has {self._encoding.width}"
                + (f" ({widest!r} has {values} values)" if widest else "")
                + ". Use fewer values, numbers where the values are ordered, or random "
                "sampling",
            )
        self.initial_trials = max(5, 2 * space.dimensions)
        # a space of few values per parameter: the model may see a loss's logarithm
        counts = [value_count(distribution) for _, distribution in space]
        self._coarse = all(count is not None and count <= COARSE_VALUES for count in counts)
        # the pessimistic prior mean (see Prior mean) where some parameter is continuous or an
        # ordered number (a choice of numbers too) of more than COARSE_VALUES values, whose
        # neighbours lie close; not for a choice of names, whose values are all far apart
        named = {column for column, _ in self._encoding.indicators}
        self._pessimistic = any(
            count is None or (count > COARSE_VALUES and column not in named)
            for column, count in enumerate(counts)
        )
        self._configurations = configurations(space)
        self._design_points = np.empty((0, space.dimensions))
        self._design_memo: dict[int, tuple[dict[str, ParameterValue], object]] = {}
        # where the last scan of a finite space found a free configuration: (the trial's
        # index, the position, the configurations taken then)
        self._design_cursor: tuple[int, int, set[object]] | None = None
        # a tuple of a configuration's values, whatever the number of parameters
        getter = operator.itemgetter(*space.names)
        self._values_of = getter if space.dimensions > 1 else lambda p: (getter(p),)
        self._bool_and_number = any(
            any(type(v) is bool for v in d.values) and any(type(v) is not bool for v in d.values)
            for _, d in space
            if isinstance(d, Choice)
        )

    @property
    def size(self) -> int | None:
        """In a space of finitely many configurations, that many (at most: a choice may list
        a value twice): every trial past them would repeat one."""
        return self._configurations

    def suggest(
        self, index: int, history: Sequence[TrialRecord]
    ) -> dict[str, ParameterValue] | None:
        # The initial design converts no trial (a planning step of thousands of trials, all
        # pending, must not convert them all for each of its suggestions).
        if index < self.initial_trials:
            return self._design(index, history)
        observed: list[tuple[int, list[float], float]] = []
        active: list[TrialRecord] = []
        finished: list[tuple[int, list[float], bool]] = []  # and whether it failed
        for record in history:
            if record.phase in _ACTIVE:  # a set, not the property: a first planning step of
                if record.index != index:  # 10000 trials asks this 50 million times
                    active.append(record)
                continue
            if record.index == index:
                continue
            point = record.best(self._objective)
            if point is None and not record.phase.failed:
                continue
            unit = self._unit(record)
            if unit is None:
                continue
            if point is not None:
                observed.append((record.index, unit, self._sign * point.value))
            finished.append((record.index, unit, record.phase.failed))
        failures = any(failed for *_, failed in finished)
        if len(observed) < self.initial_trials:
            return self._design(index, history)
        feasibility = None
        if failures:
            finished.sort(key=lambda item: item[0])
            feasibility = Feasibility(
                self._encoding(np.array([unit for _, unit, _ in finished])),
                np.array([failed for *_, failed in finished]),
                self._seed,
            )
        if self._flat(observed):
            return self._design(index, history, feasibility)
        # only the latest PENDING_LIMIT (by index: the operator's history comes by name, in
        # which trial 9 follows trial 10) enter the model
        active.sort(key=lambda record: record.index)
        pending = [u for r in active[-PENDING_LIMIT:] if (u := self._unit(r)) is not None]
        observed.sort(key=lambda item: item[0])
        taken = self._taken(index, history)
        chosen = self._next_point(index, observed, pending, feasibility, taken)
        if chosen is None:  # the results look like noise: the design covers the space
            return self._design(index, history, feasibility)
        return self._space.from_unit(chosen.tolist())

    def _design(
        self,
        index: int,
        history: Sequence[TrialRecord],
        feasibility: Feasibility | None = None,
    ) -> dict[str, ParameterValue] | None:
        """Trial ``index``'s point of the Sobol design: the first point from ``index`` on
        (within ``DESIGN_LOOKAHEAD``, or ``DESIGN_REACH`` in a finite space without
        ``feasibility``) whose configuration no other trial has, and which
        ``feasibility``, if given, finds at least ``FINISHING`` likely to finish (if none
        is, the likeliest); where there is none, ``index``'s own. Without ``feasibility``,
        only a space of finitely many configurations can repeat one, so only there is the
        history read (a first planning step of 10000 trials), and where the trials hold as
        many configurations as the space, the design takes ``index``'s own."""
        positions = np.arange(index, index + DESIGN_LOOKAHEAD)
        if feasibility is not None:
            taken = self._taken(index, history)
            self._design_point(int(positions[-1]))  # the points, as far as the lookahead
            finishing = feasibility.probability(
                self._encoding(self._design_points[index : index + DESIGN_LOOKAHEAD])
            )
            likely = finishing >= FINISHING
            positions = positions[likely] if likely.any() else positions[np.argsort(-finishing)]
        elif self._configurations is None:
            return self._initial_design.suggest(index, history)
        else:
            taken = self._taken(index, history, enough=self._configurations)
            if len(taken) >= self._configurations:
                return self._initial_design.suggest(index, history)
            return self._free_design_point(index, taken)
        for position in positions.tolist():
            parameters, key = self._design_point(position)
            if key not in taken:
                return dict(parameters)
        return dict(self._design_point(int(positions[0]))[0])

    def _free_design_point(self, index: int, taken: set[object]) -> dict[str, ParameterValue]:
        """In a finite space, the first configuration of the sequence from ``index`` on
        (within ``DESIGN_REACH``) that no other trial has; ``index``'s own if there is none.
        Each design trial of a planning step walks past the configurations the ones before
        it took, so from trial to trial the walk grows: 10000 trials planned at once in
        15625 configurations walked up to 6000 points, past the 4096 it once stopped at (240
        of them repeated one). So the walk starts where the last one found its point, when
        that was for an earlier trial and every configuration taken then is taken still:
        every point between holds a taken one, and the point found is the same."""
        start, cursor = index, self._design_cursor
        if cursor is not None and cursor[0] <= index and cursor[2] <= taken:
            start = max(index, cursor[1])
        for position in range(start, index + DESIGN_REACH):
            parameters, key = self._design_point(position)
            if key not in taken:
                self._design_cursor = (index, position, taken)
                return dict(parameters)
        return dict(self._design_point(index)[0])

    def _design_point(self, position: int) -> tuple[dict[str, ParameterValue], object]:
        """The design's configuration at ``position`` of the Sobol sequence, and its key,
        memoised: the suggestions of one planning step walk the same stretch of the
        sequence, and past a configuration taken they walk further, ever more of it."""
        points, memo = self._design_points, self._design_memo
        if position >= len(points):
            size = 1 << max(position, DESIGN_LOOKAHEAD - 1).bit_length()  # Sobol's balance
            self._design_points = points = self._initial_design.unit_points(size)
        if position not in memo:
            parameters = self._space.from_unit(points[position].tolist())
            memo[position] = (parameters, self._key(parameters))
        return memo[position]

    def _taken(
        self, index: int, history: Sequence[TrialRecord], enough: int | None = None
    ) -> set[object]:
        """The configurations (``_key``) of every trial but ``index``, or the first
        ``enough`` of them. A chunk of trials at a time, in one C call where no trial lacks a
        parameter and no choice mixes booleans and numbers."""
        taken: set[object] = set()
        whole = self._key if self._bool_and_number else self._values_of
        for start in range(0, len(history), TAKEN_CHUNK):
            chunk = history[start : start + TAKEN_CHUNK]
            parameters = [record.parameters for record in chunk if record.index != index]
            try:
                taken.update(map(whole, parameters))
            except KeyError:  # a trial made by hand, without some parameter
                taken.update(map(self._key, parameters))
            if enough is not None and len(taken) >= enough:
                break
        return taken

    def _key(self, parameters: Mapping[str, ParameterValue]) -> object:
        """A configuration, as a set holds it: its values in the space's order (32 and 32.0,
        as an integer may come back from the API server, are one key; True and 1 are two
        only where a choice offers both, as telling them apart costs time). The values come
        in one C call per trial: a suggestion at 20000 trials spends about 20 ms here."""
        try:
            values: tuple[object, ...] = self._values_of(parameters)
        except KeyError:  # a trial made by hand, without some parameter
            values = tuple(parameters.get(name) for name in self._space.names)
        if self._bool_and_number:
            return tuple((type(v) is bool, v) for v in values)
        return values

    def _first_new(self, points: np.ndarray, taken: set[object]) -> np.ndarray | None:
        """The first of ``points`` whose configuration no trial has: a trial of the same
        configuration would teach the model (almost) nothing and cost a trial's compute."""
        for point in points:
            if self._key(self._space.from_unit(point.tolist())) not in taken:
                result: np.ndarray = point
                return result
        return None

    def _flat(self, observed: list[tuple[int, list[float], float]]) -> bool:
        """Every result the same (a metric at chance level wherever training diverges), to
        ``FLAT_TOLERANCE`` of the largest in magnitude (a float32 mean summed in a
        different order each run differs in its 7th digit): a model would see no slope
        and send trials to the corners, where it knows least, so the design goes on
        covering the space (where trials are likely to finish, once some have failed)
        until some result differs."""
        values = [value for *_, value in observed]
        low, high = min(values), max(values)
        return high - low <= FLAT_TOLERANCE * max(abs(low), abs(high))

    def _unit(self, record: TrialRecord) -> list[float] | None:
        """The trial's point in the unit cube; None if its parameters do not fit the space
        (a trial from before an edit of searchSpace, which the API server now refuses, or
        one made by hand): the model leaves it out rather than fail every suggestion."""
        try:
            return self._space.to_unit(record.parameters)
        except (KeyError, TypeError, ValueError):
            return None

    def _next_point(
        self,
        index: int,
        observed: list[tuple[int, list[float], float]],
        pending: list[list[float]],
        feasibility: Feasibility | None,
        taken: set[object],
    ) -> np.ndarray | None:
        """The next trial's point in the unit cube, or None where the results look like
        noise (see ``_noise``)."""
        unit = np.array([p for _, p, _ in observed])
        raw = np.array([v for _, _, v in observed])
        y = _warp(raw, self._coarse)
        x = self._encoding(unit)
        theta = self._kernel(x, raw, y)
        # up to FIT_LIMIT results, the noise test's first model is the model of them all
        known = self._known(x, raw, y, theta) if len(raw) <= FIT_LIMIT else None
        if self._noise(x, raw, y, theta, known):
            return None
        model, best, drawn = self._model(x, raw, y, theta, pending, known)
        acquisition = Acquisition(model, best, feasibility, drawn)
        candidates = self._candidates(index, unit, y, model.lengths)
        scores, unknown, hope = acquisition.scores_uncertainty_and_hope(self._encoding(candidates))
        if float(hope.max()) < STAGNANT and index % 2 == 0:
            # nothing worth a trial anywhere the model looks: explore where it knows least,
            # among the Sobol candidates (the first rows; the local ones hug the best): hardly
            # ever a configuration some trial has, as the model is surest at its results and
            # at the pending trials it believes
            spread_out: np.ndarray = candidates[int(np.argmax(unknown[:CANDIDATES]))]
            return spread_out
        return self._refine(acquisition, candidates, scores, taken)

    def _kernel(self, x: np.ndarray, raw: np.ndarray, y: np.ndarray) -> np.ndarray:
        """The kernel's log parameters, fitted on the first results (``fit_size``)."""
        subset = fit_subset(raw[: fit_size(len(raw))])
        fitted = y if len(subset) == len(raw) else _warp(raw[subset], self._coarse)
        return fit_kernel(x[subset], fitted, seed=self._seed)

    def _noise(
        self,
        x: np.ndarray,
        raw: np.ndarray,
        y: np.ndarray,
        theta: np.ndarray,
        known: GaussianProcess | None = None,
    ) -> bool:
        """Whether the results look like noise: none is an outlier (``without_outlier``),
        and a model of them (of at most ``FIT_LIMIT``, as the kernel's fit) has no
        predictive skill, with the noise it was fitted with nor with any of
        ``NOISE_LEVELS`` above that (the fit's prior expects little noise, so on a noisy
        metric with a slope the fitted model is too sure of each result to predict the
        others well). ``known``, if given, is the model with the fitted noise, built on
        the same results already."""
        if not without_outlier(raw):
            return False
        kept = fit_subset(raw, FIT_LIMIT)
        noise = theta[-1]
        for level in (noise, *(math.log(v) for v in NOISE_LEVELS if math.log(v) > noise)):
            if level == noise and known is not None:
                model = known
            else:
                model = GaussianProcess(x[kept], y[kept], np.concatenate([theta[:-1], [level]]))
            if predictive_skill(model) > 0.0:
                return False
        return True

    def _known(
        self, x: np.ndarray, raw: np.ndarray, y: np.ndarray, theta: np.ndarray
    ) -> GaussianProcess:
        """The GP on the results. Its cost grows with the cube of its points and its memory
        with their square: past MODEL_LIMIT results it keeps the best half and a spread of
        the rest."""
        kept = fit_subset(raw, MODEL_LIMIT)
        return GaussianProcess(x[kept], y[kept], theta)

    def _model(
        self,
        x: np.ndarray,
        raw: np.ndarray,
        y: np.ndarray,
        theta: np.ndarray,
        pending: list[list[float]],
        known: GaussianProcess | None = None,
    ) -> tuple[GaussianProcess, float, float]:
        """The GP on the results (and on the pending trials, believed), the bar for
        improvement (the best the model believes some result is), and the best result
        itself (noise and all: the luckiest draw of a noisy metric). ``known``, if given,
        is the GP on the results, built already."""
        if known is None:
            known = self._known(x, raw, y, theta)
        if self._pessimistic:
            # a pessimistic prior mean: where the model knows nothing, it expects PESSIMISM
            # standard deviations worse than the worst result (see Prior mean; not in a
            # space of few values per parameter)
            known = known.with_prior(pessimistic_prior(known.y))
        known_x, known_y, model = known.x, known.y, known
        # the bar: the best the model believes some result is, not the best result, which
        # with a noisy metric is the luckiest draw (every point then looks worse than it)
        best, drawn = float(model.fitted().max()), float(y.max())
        if pending:
            # kriging believer: a pending trial is believed to score the model's mean there,
            # and a belief better than the best result raises the bar for improvement (the
            # latest PENDING_LIMIT of them: those of this planning step come last)
            believed = self._encoding(np.array(pending[-PENDING_LIMIT:]))
            beliefs = model.predict(believed)[0]
            model = GaussianProcess(
                np.vstack([known_x, believed]),
                np.concatenate([known_y, beliefs]),
                theta,
                prior=known.prior,
            )
            best = max(best, float(beliefs.max()))
            drawn = max(drawn, float(beliefs.max()))
        return model, best, drawn

    def _candidates(
        self, index: int, unit: np.ndarray, y: np.ndarray, lengths: np.ndarray
    ) -> np.ndarray:
        """Scrambled Sobol points, then points around the best results: a normal step
        scaled by the fitted length scales (``unit_spread``) and by a factor per point,
        log-uniform from ``LOCAL_FINEST`` to 1 in continuous coordinates and uniform from
        0.05 to 1 in discrete ones (there a much smaller step lands on the configuration it
        started from)."""
        rng = np.random.default_rng([self._seed, index])
        dimensions = self._space.dimensions
        engine = qmc.Sobol(d=dimensions, scramble=True, seed=rng)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            candidates = engine.random(CANDIDATES)
        top = unit[np.argsort(-y)[: max(1, min(8, len(y) // 4))]]
        spread = self._encoding.unit_spread(lengths)
        centres = top[rng.integers(len(top), size=LOCAL_CANDIDATES)]
        steps = rng.normal(size=(LOCAL_CANDIDATES, dimensions)) * spread
        coarse = rng.uniform(0.05, 1.0, size=(LOCAL_CANDIDATES, 1))
        fine = np.exp(rng.uniform(math.log(LOCAL_FINEST), 0.0, size=(LOCAL_CANDIDATES, 1)))
        local = centres + steps * np.where(self._encoding.continuous, fine, coarse)
        result: np.ndarray = np.vstack([candidates, np.clip(local, 0.0, 1.0)])
        return result

    def _refine(
        self,
        acquisition: Acquisition,
        candidates: np.ndarray,
        scores: np.ndarray,
        taken: set[object],
    ) -> np.ndarray:
        """The best candidate, or a better point L-BFGS-B finds from the best ones; if some
        trial has that configuration already, the best point of a configuration none has
        (where all have, the best point all the same)."""
        encode = self._encoding
        order = np.argsort(-scores)
        chosen, chosen_score = candidates[order[0]], float(scores[order[0]])
        # L-BFGS-B from the best candidates at once (the sum of their log-EIs is separable),
        # moving the continuous coordinates; the discrete ones stay at the candidate's value.
        # The logarithm weighs each start alike, however small its EI next to the best
        # one's, and makes scipy's stopping tolerances relative (the module's docstring)
        starts = candidates[order[:REFINED]]
        shape = starts.shape

        def negative(flat: np.ndarray) -> tuple[float, np.ndarray]:
            value, gradient = acquisition.log_value_and_gradient(encode(flat.reshape(shape)))
            return -float(value.sum()), -encode.unit_gradient(gradient).ravel()

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            found = minimize(
                negative, starts.ravel(), jac=True, method="L-BFGS-B",
                bounds=[(0.0, 1.0)] * starts.size, options={"maxiter": 100},
            )  # fmt: skip
        refined = np.clip(found.x.reshape(shape), 0.0, 1.0)
        refined_scores = acquisition.scores_and_uncertainty(encode(refined))[0]
        if float(refined_scores.max()) > chosen_score:
            chosen = refined[int(np.argmax(refined_scores))]
        if self._key(self._space.from_unit(chosen.tolist())) in taken:
            points = np.vstack([refined, candidates])
            order = np.argsort(-np.concatenate([refined_scores, scores]), kind="stable")
            new = self._first_new(points[order], taken)
            chosen = chosen if new is None else new
        result: np.ndarray = chosen
        return result
