"""Train a small neural network on scikit-learn's digits and report its accuracy per epoch.

    python -m examples.digits.train --learning-rate 0.001 --hidden 64 --alpha 0.0001

The data ships with scikit-learn (1797 8x8 images), so nothing is downloaded. Each epoch is
one ``partial_fit`` pass; the validation accuracy after it is reported with
``kubesweep.trial.report``, which gives the early-termination policy a learning curve. An
epoch takes milliseconds, so ``--pause`` (0.5 s) paces it like a real one.
"""

from __future__ import annotations

import argparse
import time
import warnings

from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

from kubesweep import trial


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--learning-rate", type=float, required=True)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--alpha", type=float, default=1e-4)
    parser.add_argument("--solver", choices=["adam", "sgd"], default="adam")
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--pause", type=float, default=0.5, help="seconds to wait after each epoch (demo pacing)"
    )
    args = parser.parse_args()

    features, labels = load_digits(return_X_y=True)
    x_train, x_valid, y_train, y_valid = train_test_split(
        features, labels, test_size=0.25, random_state=args.seed, stratify=labels
    )
    scaler = StandardScaler().fit(x_train)
    x_train, x_valid = scaler.transform(x_train), scaler.transform(x_valid)
    model = MLPClassifier(
        hidden_layer_sizes=(args.hidden,),
        learning_rate_init=args.learning_rate,
        alpha=args.alpha,
        solver=args.solver,
        batch_size=64,
        random_state=args.seed,
    )
    classes = sorted(set(labels))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for epoch in range(1, args.epochs + 1):
            model.partial_fit(x_train, y_train, classes=classes)
            trial.report(step=epoch, accuracy=model.score(x_valid, y_valid), loss=model.loss_)
            time.sleep(args.pause)


if __name__ == "__main__":
    main()
