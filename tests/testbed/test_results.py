"""``kubesweep get`` and ``kubesweep export`` against SweepJobs and SweepTrials in the
testbed's API server."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
import yaml

from kubesweep.cli import main
from tests.testbed.conftest import Cluster
from tests.testbed.test_operator import GROUP, VERSION, grid_sweep

TRIALS = [
    # index, quality, phase, reason, best, last step
    (0, 0.9, "Succeeded", "Completed", 0.9, 8),
    (1, 0.2, "EarlyTerminated", "EarlyTerminated:bandit", 0.05, 2),
    (2, 0.5, "Failed", "Error", None, 0),
    (3, 0.8, "Running", None, 0.7, 6),
]


@pytest.fixture
def sweep(cluster: Cluster, crds: None, namespace: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("KUBECONFIG", str(cluster.testbed.kubeconfig))
    body = grid_sweep("board")
    created = cluster.custom.create_namespaced_custom_object(
        GROUP, VERSION, namespace, "sweepjobs", body
    )
    cluster.custom.patch_namespaced_custom_object_status(
        GROUP, VERSION, namespace, "sweepjobs", "board",
        {"status": {"phase": "Running", "trials": {"completed": 3, "running": 1},
                    "bestTrial": {"name": "board-0", "parameters": {"quality": 0.9},
                                  "metric": 0.9, "step": 8}}},
    )  # fmt: skip
    owner = {
        "apiVersion": f"{GROUP}/{VERSION}", "kind": "SweepJob", "name": "board",
        "uid": created["metadata"]["uid"],
    }  # fmt: skip
    for index, quality, phase, reason, best, steps in TRIALS:
        trial: dict[str, Any] = {
            "apiVersion": f"{GROUP}/{VERSION}",
            "kind": "SweepTrial",
            "metadata": {
                "name": f"board-{index}",
                "labels": {"kubesweep.io/sweep": "board"},
                "ownerReferences": [owner],
            },
            "spec": {"sweep": "board", "index": index, "parameters": {"quality": quality}},
        }
        cluster.custom.create_namespaced_custom_object(
            GROUP, VERSION, namespace, "sweeptrials", trial
        )
        status: dict[str, Any] = {"phase": phase}
        if reason:
            status["reason"] = reason
        if best is not None:
            status["metric"] = {"best": best, "bestStep": steps, "last": best, "lastStep": steps}
        cluster.custom.patch_namespaced_custom_object_status(
            GROUP, VERSION, namespace, "sweeptrials", f"board-{index}", {"status": status}
        )
    return namespace


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), out=out), out.getvalue()


def test_get_lists_sweeps_with_progress(sweep: str) -> None:
    code, text = run("get", "-n", sweep)
    assert code == 0
    header, row = text.splitlines()
    assert header.split() == ["NAME", "PHASE", "DONE", "RUNNING", "BEST", "AGE"]
    assert row.split()[:5] == ["board", "Running", "3/4", "1", "0.9"]


def test_get_sweep_is_a_leaderboard_sorted_by_the_objective(sweep: str) -> None:
    code, text = run("get", "board", "-n", sweep)
    assert code == 0
    lines = text.splitlines()
    assert lines[0].split() == ["RANK", "TRIAL", "STATUS", "STEPS", "ACCURACY", "quality"]
    assert [line.split()[1] for line in lines[1:]] == ["board-0", "board-3", "board-1", "board-2"]
    assert "EarlyTerminated (EarlyTerminated:bandit)" in lines[3]
    assert "Failed (Error)" in lines[4]
    assert lines[4].split()[0] == "-"  # a trial without a metric has no rank


def test_get_outputs_json_yaml_and_wide(sweep: str) -> None:
    _, text = run("get", "board", "-n", sweep, "-o", "json")
    document = json.loads(text)
    assert document["sweep"]["metadata"]["name"] == "board"
    assert [t["trial"] for t in document["trials"]] == [f"board-{i}" for i in range(4)]
    _, text = run("get", "-n", sweep, "-o", "yaml")
    assert yaml.safe_load(text)[0]["metadata"]["name"] == "board"
    _, text = run("get", "board", "-n", sweep, "-o", "wide")
    assert "BEST STEP" in text.splitlines()[0]


def test_export_csv_and_json(sweep: str) -> None:
    code, text = run("export", "board", "-n", sweep, "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["trial"] for r in rows] == [f"board-{i}" for i in range(4)]
    assert rows[0] == {
        "trial": "board-0", "index": "0", "status": "Succeeded", "reason": "Completed",
        "steps": "8", "best": "0.9", "bestStep": "8", "last": "0.9", "quality": "0.9",
    }  # fmt: skip
    _, text = run("export", "board", "-n", sweep, "--format", "json")
    records = json.loads(text)
    assert records[1]["status"] == "EarlyTerminated"
    assert records[2]["best"] is None


def test_a_missing_sweep_is_named(sweep: str) -> None:
    code, text = run("get", "nope", "-n", sweep)
    assert code == 1
    assert f"sweepjob 'nope' not found in namespace '{sweep}'" in text
