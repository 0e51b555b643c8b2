"""The operator end to end on the testbed: trials really run, report through Prometheus,
are stopped by the policy, and the best trial lands in the SweepJob's status."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.testbed.conftest import Cluster, wait_for

GROUP, VERSION = "kubesweep.io", "v1alpha1"

TRIAL_SCRIPT = textwrap.dedent(
    """
    import time
    from kubesweep import trial
    quality = float(trial.parameters()["quality"])
    for step in range(1, 9):
        trial.report(step=step, accuracy=quality * step / 8)
        time.sleep(0.7)
    """
)


@pytest.fixture
def operator(cluster: Cluster, crds: None, namespace: str, tmp_path: Path) -> Iterator[Path]:
    """``kubesweep operator`` watching the test's namespace; its log file."""
    log = tmp_path / "operator.log"
    env = {
        **os.environ,
        "KUBECONFIG": str(cluster.testbed.kubeconfig),
        "KUBESWEEP_PROMETHEUS_URL": cluster.state.prometheus_url,
        "KUBESWEEP_POLL_INTERVAL": "1",
        "KUBESWEEP_METRICS_GRACE": "10",
    }
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "kubesweep", "operator", "--namespace", namespace],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        yield log
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        print(log.read_text()[-6000:])


def grid_sweep(name: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "SweepJob",
        "metadata": {"name": name},
        "spec": {
            "objective": {"primaryMetric": "accuracy", "goal": "maximize"},
            "searchSpace": {"quality": {"type": "choice", "values": [0.9, 0.2, 0.5, 0.8]}},
            "samplingAlgorithm": {"type": "grid"},
            "limits": {"maxTotalTrials": 4, "maxConcurrentTrials": 2},
            "trial": {
                "template": {
                    "spec": {
                        "template": {
                            "spec": {
                                "containers": [
                                    {
                                        "name": "train",
                                        "image": "python:3.11-slim",
                                        "command": ["python", "-c", TRIAL_SCRIPT],
                                        "resources": {"limits": {"nvidia.com/gpu": "1"}},
                                    }
                                ]
                            }
                        }
                    }
                }
            },
            **spec,
        },
    }


def sweep_status(cluster: Cluster, namespace: str, name: str) -> dict[str, Any]:
    body = cluster.custom.get_namespaced_custom_object(GROUP, VERSION, namespace, "sweepjobs", name)
    status: dict[str, Any] = body.get("status") or {}
    return status


def trials_of(cluster: Cluster, namespace: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = cluster.custom.list_namespaced_custom_object(
        GROUP, VERSION, namespace, "sweeptrials"
    )["items"]
    return sorted(items, key=lambda t: t["spec"]["index"])


def finished(cluster: Cluster, namespace: str, name: str) -> dict[str, Any] | None:
    status = sweep_status(cluster, namespace, name)
    return status if status.get("phase") in ("Succeeded", "Failed") else None


def test_a_grid_sweep_runs_to_success_with_the_best_trial_in_status(
    cluster: Cluster, namespace: str, operator: Path
) -> None:
    sweep = grid_sweep(
        "grid",
        earlyTermination={"type": "bandit", "slackFactor": 0.3, "delayEvaluation": 2},
    )
    cluster.custom.create_namespaced_custom_object(GROUP, VERSION, namespace, "sweepjobs", sweep)
    status = wait_for("the sweep to finish", lambda: finished(cluster, namespace, "grid"), 120)
    assert status["phase"] == "Succeeded"

    trials = trials_of(cluster, namespace)
    assert [t["metadata"]["name"] for t in trials] == [f"grid-{i}" for i in range(4)]
    phases = {t["spec"]["parameters"]["quality"]: t["status"]["phase"] for t in trials}
    assert phases[0.9] == "Succeeded"
    assert phases[0.2] == "EarlyTerminated"
    stopped = next(t for t in trials if t["spec"]["parameters"]["quality"] == 0.2)
    assert stopped["status"]["reason"] == "EarlyTerminated:bandit"
    assert "bandit threshold" in stopped["status"]["message"]

    best_metrics = {
        t["metadata"]["name"]: t["status"]["metric"]["best"]
        for t in trials
        if t["status"].get("metric")
    }
    best_name = max(best_metrics, key=lambda n: best_metrics[n])
    assert status["bestTrial"]["name"] == best_name == "grid-0"
    assert status["bestTrial"]["metric"] == pytest.approx(0.9)
    assert status["bestTrial"]["parameters"] == {"quality": 0.9}

    counts = status["trials"]
    assert counts["created"] == 4
    assert counts["completed"] == 4
    assert counts["succeeded"] + counts["earlyTerminated"] + counts["failed"] == 4

    jobs = cluster.batch.list_namespaced_job(namespace, label_selector="kubesweep.io/trial=grid-1")
    assert jobs.items == []  # the stopped trial's Job is gone
    events = cluster.core.list_namespaced_event(namespace).items
    assert any(e.reason == "TrialStopped" and "grid-1" in e.message for e in events)
    assert any(e.reason == "SweepSucceeded" for e in events)
