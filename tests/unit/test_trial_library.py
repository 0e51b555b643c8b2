"""``kubesweep.trial`` in a training script: metrics served per step, summary at exit."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

SCRIPT = textwrap.dedent(
    """
    import sys, urllib.request
    from kubesweep import trial
    assert trial.parameters() == {"lr": 0.1}
    for step, value in enumerate([0.5, 0.9, 0.7], start=1):
        trial.report(step=step, accuracy=value, loss=1 - value)
    body = urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1]).read().decode()
    print(body)
    """
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_reports_every_step_as_a_gauge_and_writes_the_summary(tmp_path: Path) -> None:
    port = free_port()
    message = tmp_path / "termination-log"
    env = {
        **os.environ,
        "KUBESWEEP_SWEEP": "s",
        "KUBESWEEP_NAMESPACE": "ml",
        "KUBESWEEP_TRIAL": "s-0",
        "KUBESWEEP_PARAMETERS": '{"lr": 0.1}',
        "KUBESWEEP_PRIMARY_METRIC": "accuracy",
        "KUBESWEEP_GOAL": "maximize",
        "KUBESWEEP_METRICS_PORT": str(port),
        "KUBESWEEP_POD_IP": "127.0.0.1",
        "KUBESWEEP_TERMINATION_MESSAGE_PATH": str(message),
    }
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(port)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    exposition = result.stdout
    for step, value in ((1, 0.5), (2, 0.9), (3, 0.7)):
        line = (
            f'kubesweep_trial_metric{{metric="accuracy",step="{step}",sweep="s",'
            f'sweep_namespace="ml",trial="s-0"}} '
            f"{value}"
        )
        assert line in exposition
    summary = json.loads(message.read_text())
    assert summary["metrics"]["accuracy"] == {
        "last": 0.7,
        "lastStep": 3,
        "best": 0.9,
        "bestStep": 2,
    }
    assert summary["metrics"]["loss"]["best"] == 0.5  # the goal's direction, for every metric
    assert summary["curve"] == [[1, 0.5], [2, 0.9], [3, 0.7]]


def test_without_kubernetes_it_only_prints(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KUBESWEEP_")}
    result = subprocess.run(
        [sys.executable, "-c", "from kubesweep import trial; trial.report(accuracy=0.5)"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    assert "step 1: accuracy=0.5" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_bad_values_are_rejected_with_the_name() -> None:
    import pytest

    from kubesweep import trial

    with pytest.raises(TypeError, match="'accuracy' must be a number"):
        trial.report(step=1, accuracy="high")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="step must be a whole number"):
        trial.report(step=-1, accuracy=0.1)


def test_long_curves_are_thinned_to_fit_the_termination_message(tmp_path: Path) -> None:
    message = tmp_path / "log"
    script = (
        "from kubesweep import trial\n"
        "for s in range(1, 3001): trial.report(step=s, accuracy=s / 3000)"
    )
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("KUBESWEEP_")},
        "KUBESWEEP_TRIAL": "t",
        "KUBESWEEP_PRIMARY_METRIC": "accuracy",
        "KUBESWEEP_TERMINATION_MESSAGE_PATH": str(message),
    }
    subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, check=True)
    data = message.read_bytes()
    assert len(data) <= 4096
    summary = json.loads(data)
    assert summary["curve"][-1] == [3000, 1.0]
    assert summary["metrics"]["accuracy"]["best"] == 1.0
