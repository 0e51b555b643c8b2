"""Synthetic learning curves for ``kubesweep simulate``.

``accuracy`` returns an accuracy per epoch for the parameters of ``random-bandit.yaml``,
``sobol-median-stopping.yaml`` and ``bayesian.yaml``; ``loss`` returns a loss per epoch for
the minimizing examples. Both are deterministic, so a simulation repeats exactly:

    kubesweep simulate examples/random-bandit.yaml --objective examples.curves:accuracy
"""

from __future__ import annotations

import math
from typing import Any

EPOCHS = 20


def _rate(parameters: dict[str, Any]) -> float:
    rate = float(parameters.get("learning_rate", parameters.get("lr", parameters.get("C", 0.01))))
    # Best near 1e-3 (natural log about -6.9); worse the further away, in log space.
    return math.exp(-((math.log(rate) + 6.9) ** 2) / 8)


def accuracy(parameters: dict[str, Any]) -> list[float]:
    """Rises towards a ceiling set by the learning rate and width, like a real curve."""
    ceiling = 0.55 + 0.4 * _rate(parameters)
    ceiling += 0.02 * math.log2(float(parameters.get("hidden", 64)) / 64)
    speed = 0.15 + 0.1 * _rate(parameters)
    return [ceiling * (1 - math.exp(-speed * epoch)) for epoch in range(1, EPOCHS + 1)]


def loss(parameters: dict[str, Any]) -> list[float]:
    """Falls towards a floor set by the learning rate."""
    floor = 0.1 + 0.8 * (1 - _rate(parameters))
    return [floor + 2.0 * math.exp(-0.3 * epoch) for epoch in range(1, EPOCHS + 1)]
