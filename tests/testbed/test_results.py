"""``kubesweep get`` and ``kubesweep export`` against SweepJobs and SweepTrials in the
testbed's API server."""

from __future__ import annotations

import csv
import io
import json
import os
import pty
import subprocess
import sys
import threading
import time
from pathlib import Path
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
            curve = [[step, best * step / steps] for step in range(1, steps + 1)]
            status["metric"] = {
                "best": best, "bestStep": steps, "last": best, "lastStep": steps, "curve": curve,
            }  # fmt: skip
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


def test_watch_prints_lines_until_the_sweep_ends(cluster: Cluster, sweep: str) -> None:
    uid = cluster.custom.get_namespaced_custom_object(GROUP, VERSION, sweep, "sweepjobs", "board")[
        "metadata"
    ]["uid"]
    event = {
        "apiVersion": "events.k8s.io/v1", "kind": "Event",
        "metadata": {"name": "board.started", "namespace": sweep},
        "regarding": {"apiVersion": f"{GROUP}/{VERSION}", "kind": "SweepJob", "name": "board",
                      "namespace": sweep, "uid": uid},
        "reason": "TrialStopped", "note": "trial board-1: EarlyTerminated:bandit", "type": "Normal",
        "action": "Reconcile", "eventTime": "2026-01-01T00:00:00.000000Z",
        "reportingController": "kubesweep.io/operator", "reportingInstance": "test",
    }  # fmt: skip
    cluster.custom.create_namespaced_custom_object("events.k8s.io", "v1", sweep, "events", event)

    def finish() -> None:
        time.sleep(1.5)
        cluster.custom.patch_namespaced_custom_object_status(
            GROUP, VERSION, sweep, "sweepjobs", "board",
            {"status": {"phase": "Succeeded", "trials": {"completed": 4, "running": 0}}},
        )  # fmt: skip

    ending = threading.Thread(target=finish)
    ending.start()
    code, text = run("watch", "board", "-n", sweep, "--interval", "0.3")
    ending.join()
    assert code == 0
    lines = text.splitlines()
    assert lines[0] == "board  Running  [" + "#" * 22 + "." * 8 + "] 3/4"
    assert "trials: pending 0  running 1" in lines[1]
    assert lines[2].startswith("best: board-0 accuracy=0.9 at step 8")
    assert any("TrialStopped: trial board-1: EarlyTerminated:bandit" in line for line in lines)
    assert any(line.startswith("board  Succeeded  [####") for line in lines)
    assert len(lines) == len(set(lines)), "line output repeats nothing"


def test_plot_writes_a_png_and_an_html_page(cluster: Cluster, sweep: str, tmp_path: Path) -> None:
    import matplotlib.image

    png = tmp_path / "board.png"
    code, _ = run("plot", "board", "-n", sweep, "-o", str(png), "--prometheus-url",
                  cluster.state.prometheus_url)  # fmt: skip
    assert code == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    pixels = matplotlib.image.imread(str(png))
    assert pixels.shape[:2] == (500, 1600)
    assert float(pixels[..., :3].std()) > 0.05, "the image is blank"
    page = tmp_path / "board.html"
    assert run("plot", "board", "-n", sweep, "-o", str(page))[0] == 0
    text = page.read_text()
    assert "<img" in text
    assert "data:image/png;base64," in text
    assert "board-0" in text
    assert run("plot", "board", "-n", sweep, "-o", str(tmp_path / "x.jpg"))[0] == 2


def test_watch_redraws_in_a_terminal(cluster: Cluster, sweep: str) -> None:
    cluster.custom.patch_namespaced_custom_object_status(
        GROUP, VERSION, sweep, "sweepjobs", "board", {"status": {"phase": "Succeeded"}}
    )
    leader, follower = pty.openpty()
    result = subprocess.run(
        [sys.executable, "-m", "kubesweep", "watch", "board", "-n", sweep],
        stdout=follower, stderr=subprocess.PIPE, check=False, timeout=60,
    )  # fmt: skip
    os.close(follower)
    screen = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        screen += chunk
    os.close(leader)
    assert result.returncode == 0, result.stderr
    assert screen.startswith(b"\x1b[H\x1b[2J"), "a terminal gets a redrawn screen"
    assert b"board  Succeeded  [" in screen
