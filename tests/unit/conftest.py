"""Shared fixtures: a valid SweepJob manifest to mutate, the examples, and the benchmark
scripts loaded as modules."""

from __future__ import annotations

import copy
import importlib.util
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").rglob("*.yaml"))

VALID_SWEEP: dict[str, Any] = {
    "apiVersion": "kubesweep.io/v1alpha1",
    "kind": "SweepJob",
    "metadata": {"name": "digits-logreg"},
    "spec": {
        "objective": {"primaryMetric": "accuracy", "goal": "maximize"},
        "searchSpace": {
            "C": {"type": "loguniform", "minValue": -5, "maxValue": 5},
            "solver": {"type": "choice", "values": ["lbfgs", "saga"]},
            "seed": {"type": "randint", "upper": 100},
            "width": {"type": "quniform", "minValue": 16, "maxValue": 256, "q": 16},
            "noise": {"type": "normal", "mu": 0, "sigma": 1},
        },
        "samplingAlgorithm": {"type": "random", "rule": "sobol", "seed": 7},
        "earlyTermination": {
            "type": "bandit",
            "evaluationInterval": 1,
            "delayEvaluation": 5,
            "slackFactor": 0.1,
        },
        "limits": {
            "maxTotalTrials": 40,
            "maxConcurrentTrials": 4,
            "maxFailedTrials": 3,
            "timeout": 7200,
            "trialTimeout": "20m",
        },
        "metrics": {"prometheus": {"url": "http://prometheus-operated.monitoring:9090"}},
        "trial": {
            "template": {
                "spec": {
                    "template": {
                        "spec": {
                            "restartPolicy": "Never",
                            "containers": [
                                {
                                    "name": "train",
                                    "image": "ghcr.io/acme/train:1.0",
                                    "args": [
                                        "--C",
                                        "${{search_space.C}}",
                                        "--solver",
                                        "${{ search_space.solver }}",
                                    ],
                                    "resources": {"limits": {"nvidia.com/gpu": 1}},
                                }
                            ],
                        }
                    }
                }
            }
        },
    },
}


@pytest.fixture
def sweep() -> dict[str, Any]:
    """A fresh copy of a valid SweepJob manifest."""
    return copy.deepcopy(VALID_SWEEP)


def load_example(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(path.read_text())
    return document


def load_benchmark(name: str) -> Iterator[ModuleType]:
    """``benchmarks/<name>.py`` as a module, for a module-scoped fixture to yield. The
    benchmarks pin thread counts and BLAS kernels in the environment and put their folder
    first on the path when they load: both are put back afterwards."""
    environment, path = dict(os.environ), list(sys.path)
    spec = importlib.util.spec_from_file_location(
        f"benchmark_{name}", ROOT / "benchmarks" / f"{name}.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        os.environ.clear()
        os.environ.update(environment)
        sys.path[:] = path
