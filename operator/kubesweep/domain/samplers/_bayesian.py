"""Bayesian sampling: a Gaussian process over the unit cube, expected improvement, and
constant liar for trials still running, so concurrent suggestions spread out.

- Space: each parameter is one coordinate of the unit cube (``Distribution.to_unit``;
  choices by their slice, log-scale types on the log scale), and a suggestion is mapped back
  with ``from_unit`` (so quantised types stay quantised).
- Initial design: the first ``max(5, 2 * dimensions)`` trials follow the scrambled Sobol
  sequence, as does every trial until that many trials have reported the primary metric.
- Model: a Matérn 5/2 kernel with one length scale per coordinate, a signal and a noise
  variance, fitted by maximising the marginal likelihood (L-BFGS-B with its analytic
  gradient, two starts) on the
  standardised best values of the trials that reported (better is bigger after the goal's
  sign).
- Pending trials (Pending or Running without a result, including those planned a moment
  ago) enter the model as observations of the worst value seen: a constant liar, so the
  next suggestion moves away from them.
- Acquisition: expected improvement, maximised from 1024 scrambled Sobol candidates and a
  few L-BFGS-B refinements of the best of them.

Deterministic under the seed: every random draw is seeded by (seed, index). Azure ML admits
choice, uniform and quniform for bayesian, and so does the SweepJob API today (``strict``);
the model itself handles every type, ready for the log and integer types as an extension.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np
from scipy.linalg import cho_factor, cho_solve
from scipy.optimize import minimize
from scipy.stats import norm, qmc

from kubesweep.domain.errors import SpecError
from kubesweep.domain.samplers._random import SobolSampler
from kubesweep.domain.space import Choice, ParameterValue, QUniform, SearchSpace, Uniform
from kubesweep.domain.trials import Goal, Objective, TrialRecord

ADMITTED = (Choice, Uniform, QUniform)
"""The distributions Azure ML admits for Bayesian sampling."""

CANDIDATES = 1024
REFINED = 4
_JITTER = 1e-8


def _matern52(a: np.ndarray, b: np.ndarray, lengths: np.ndarray, signal: float) -> np.ndarray:
    scaled = (a[:, None, :] - b[None, :, :]) / lengths
    r = np.sqrt(np.maximum((scaled**2).sum(axis=-1), 0.0)) * math.sqrt(5.0)
    result: np.ndarray = signal * (1.0 + r + r**2 / 3.0) * np.exp(-r)
    return result


class GaussianProcess:
    """A GP with a Matérn 5/2 ARD kernel, fitted by marginal likelihood."""

    def __init__(self, x: np.ndarray, y: np.ndarray, seed: int) -> None:
        self.x = x
        self.y = y
        self._squared = (x[:, None, :] - x[None, :, :]) ** 2
        d = x.shape[1]
        # log length scales, log signal variance, log noise variance
        starts = [np.array([math.log(0.3)] * d + [0.0, math.log(1e-3)])]
        rng = np.random.default_rng(seed)
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
                    self._nll,
                    start,
                    jac=True,
                    method="L-BFGS-B",
                    bounds=bounds,
                    options={"maxiter": 60},
                )
            if best is None or found.fun < best.fun:
                best = found
        assert best is not None
        self.theta = best.x
        self._factor()

    def _parts(self, theta: np.ndarray) -> tuple[np.ndarray, float, float]:
        d = self.x.shape[1]
        return np.exp(theta[:d]), float(np.exp(theta[d])), float(np.exp(theta[d + 1]))

    def _nll(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        """The negative log marginal likelihood and its gradient in the log parameters."""
        lengths, signal, noise = self._parts(theta)
        n, d = self.x.shape
        squared = self._squared / lengths**2  # (n, n, d): (delta_i / l_i)^2
        r = np.sqrt(5.0 * squared.sum(axis=-1))
        decay = np.exp(-r)
        base = signal * (1.0 + r + r**2 / 3.0) * decay
        k = base + (noise + _JITTER) * np.eye(n)
        try:
            factor = cho_factor(k, lower=True)
        except np.linalg.LinAlgError:
            return 1e10, np.zeros_like(theta)
        alpha = cho_solve(factor, self.y)
        log_det = 2.0 * float(np.log(np.diag(factor[0])).sum())
        value = 0.5 * float(self.y @ alpha) + 0.5 * log_det
        inner = cho_solve(factor, np.eye(n)) - np.outer(alpha, alpha)
        common = (5.0 / 3.0) * signal * decay * (1.0 + r)
        gradient = np.empty_like(theta)
        for i in range(d):
            gradient[i] = 0.5 * float((inner * (common * squared[:, :, i])).sum())
        gradient[d] = 0.5 * float((inner * base).sum())
        gradient[d + 1] = 0.5 * noise * float(np.trace(inner))
        return value, gradient

    def _factor(self) -> None:
        lengths, signal, noise = self._parts(self.theta)
        self.lengths, self.signal = lengths, signal
        k = _matern52(self.x, self.x, lengths, signal) + (noise + _JITTER) * np.eye(len(self.x))
        self.factor = cho_factor(k, lower=True)
        self.alpha = cho_solve(self.factor, self.y)

    def with_observations(self, x: np.ndarray, y: np.ndarray) -> GaussianProcess:
        """The same kernel conditioned on more points (the liar's), without refitting."""
        copy = object.__new__(GaussianProcess)
        copy.x, copy.y, copy.theta = np.vstack([self.x, x]), np.concatenate([self.y, y]), self.theta
        copy._factor()
        return copy

    def predict(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        cross = _matern52(points, self.x, self.lengths, self.signal)
        mean = cross @ self.alpha
        solved = cho_solve(self.factor, cross.T)
        variance = self.signal - np.einsum("ij,ji->i", cross, solved)
        return mean, np.sqrt(np.maximum(variance, 1e-12))


def expected_improvement(mean: np.ndarray, sd: np.ndarray, best: float) -> np.ndarray:
    z = (mean - best) / sd
    result: np.ndarray = (mean - best) * norm.cdf(z) + sd * norm.pdf(z)
    return result


class BayesianSampler:
    def __init__(
        self,
        space: SearchSpace,
        *,
        seed: int,
        objective: Objective | None = None,
        strict: bool = True,
    ) -> None:
        if strict:
            for name, distribution in space:
                if not isinstance(distribution, ADMITTED):
                    raise SpecError(
                        f"{name}.type",
                        f"bayesian sampling accepts parameters of type choice, uniform or "
                        f"quniform, but {name!r} is {distribution.type_name}",
                    )
        self._space = space
        self._seed = seed
        self._sign = -1.0 if objective is not None and objective.goal is Goal.MINIMIZE else 1.0
        self._objective = objective or Objective("objective", Goal.MAXIMIZE)
        self._initial_design = SobolSampler(space, seed=seed)
        self.initial_trials = max(5, 2 * space.dimensions)

    @property
    def size(self) -> None:
        return None

    def suggest(
        self, index: int, history: Sequence[TrialRecord]
    ) -> dict[str, ParameterValue] | None:
        observed: list[tuple[list[float], float]] = []
        pending: list[list[float]] = []
        for record in history:
            if record.index == index:
                continue
            point = record.best(self._objective)
            if point is not None and not record.phase.active:
                observed.append((self._space.to_unit(record.parameters), self._sign * point.value))
            elif record.phase.active:
                pending.append(self._space.to_unit(record.parameters))
        if index < self.initial_trials or len(observed) < self.initial_trials:
            return self._initial_design.suggest(index, history)
        return self._space.from_unit(self._next_point(index, observed, pending).tolist())

    def _next_point(
        self, index: int, observed: list[tuple[list[float], float]], pending: list[list[float]]
    ) -> np.ndarray:
        x = np.array([p for p, _ in observed])
        raw = np.array([v for _, v in observed])
        scale = float(raw.std()) or 1.0
        y = (raw - raw.mean()) / scale
        seed = [self._seed, index]
        model = GaussianProcess(x, y, seed=int(np.random.default_rng(seed).integers(2**31)))
        if pending:
            model = model.with_observations(np.array(pending), np.full(len(pending), y.min()))
        best = float(y.max())
        engine = qmc.Sobol(
            d=self._space.dimensions, scramble=True, seed=np.random.default_rng(seed)
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            candidates = engine.random(CANDIDATES)
        mean, sd = model.predict(candidates)
        scores = expected_improvement(mean, sd, best)
        chosen: np.ndarray = candidates[int(np.argmax(scores))]
        chosen_score = float(scores.max())
        for start in candidates[np.argsort(-scores)[:REFINED]]:

            def negative(point: np.ndarray) -> float:
                m, s = model.predict(point[None, :])
                return -float(expected_improvement(m, s, best)[0])

            found = minimize(
                negative, start, method="L-BFGS-B", bounds=[(0.0, 1.0)] * len(start),
                options={"maxiter": 30},
            )  # fmt: skip
            if -found.fun > chosen_score:
                chosen, chosen_score = np.clip(found.x, 0.0, 1.0), -float(found.fun)
        return chosen
