"""Learning curves for the early-termination replay: scikit-learn MLPs on the digits dataset.

96 configurations (a scrambled Sobol design over learning rate, width, L2 penalty and batch
size, seed 0) are trained for 27 epochs each with ``partial_fit``; the validation accuracy
after every epoch is one row of ``benchmarks/data/digits-mlp-curves.csv``. Real training,
real curves (some diverge, some plateau, some still climb at epoch 27); generated once,
committed, and replayed by ``benchmarks/pruners.py`` so every policy sees the same curves.

    python benchmarks/curves.py          # about 20 s on two cores
"""

from __future__ import annotations

import csv
import math
import pathlib
import sys
import time
import warnings

import numpy as np
from scipy.stats import qmc
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

CONFIGS = 96
EPOCHS = 27
OUTPUT = pathlib.Path(__file__).parent / "data" / "digits-mlp-curves.csv"


def configurations() -> list[dict[str, float]]:
    unit = qmc.Sobol(d=4, scramble=True, seed=0).random(CONFIGS)
    return [
        {
            "learning_rate": math.exp(math.log(1e-4) + u[0] * math.log(1e4)),
            "width": round(math.exp(math.log(8) + u[1] * math.log(256 / 8))),
            "alpha": math.exp(math.log(1e-6) + u[2] * math.log(1e5)),
            "batch_size": int(2 ** (4 + math.floor(u[3] * 5))),
        }
        for u in unit
    ]


def curve(config: dict[str, float], data: tuple[np.ndarray, ...]) -> list[float]:
    train_x, valid_x, train_y, valid_y = data
    model = MLPClassifier(
        hidden_layer_sizes=(int(config["width"]),),
        learning_rate_init=config["learning_rate"],
        alpha=config["alpha"],
        batch_size=int(config["batch_size"]),
        random_state=0,
    )
    classes = np.unique(train_y)
    accuracies = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for _ in range(EPOCHS):
            model.partial_fit(train_x, train_y, classes=classes)
            accuracies.append(float(model.score(valid_x, valid_y)))
    return accuracies


def main() -> int:
    x, y = load_digits(return_X_y=True)
    train_x, valid_x, train_y, valid_y = train_test_split(
        x, y, test_size=0.3, random_state=0, stratify=y
    )
    scaler = StandardScaler().fit(train_x)
    data = (scaler.transform(train_x), scaler.transform(valid_x), train_y, valid_y)
    started = time.monotonic()
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    with OUTPUT.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["learning_rate", "width", "alpha", "batch_size"]
                        + [f"epoch{e}" for e in range(1, EPOCHS + 1)])  # fmt: skip
        for number, config in enumerate(configurations()):
            accuracies = curve(config, data)
            writer.writerow([f"{config['learning_rate']:.6g}", config["width"],
                             f"{config['alpha']:.6g}", config["batch_size"]]
                            + [f"{a:.4f}" for a in accuracies])  # fmt: skip
            print(f"{number + 1}/{CONFIGS} final {accuracies[-1]:.4f}", file=sys.stderr)
    print(f"wrote {OUTPUT} in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
