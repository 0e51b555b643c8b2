"""The operator end to end on the testbed: trials really run, report through Prometheus,
are stopped by the policy, and the best trial lands in the SweepJob's status."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.testbed.conftest import Cluster, wait_for

GROUP, VERSION = "kubesweep.io", "v1alpha1"

TRIAL_SCRIPT = textwrap.dedent(
    """
    import time
    from kubesweep import trial
    quality = float(trial.parameters()["quality"])
    for step in range(1, 9):
        trial.report(step=step, accuracy=quality * step / 8)
        time.sleep(PAUSE)
    """
)
"""Eight steps of a made-up curve. Prometheus applies discovered targets at most every 5 s,
so a trial that the policy must judge from live metrics runs longer than that."""


class Operator:
    """``kubesweep operator`` as a process watching one namespace; it can be killed and
    started again."""

    def __init__(self, cluster: Cluster, namespace: str, log: Path) -> None:
        self.cluster, self.namespace, self.log = cluster, namespace, log
        self.process: subprocess.Popen[bytes] | None = None
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.metrics_port: int = probe.getsockname()[1]

    def start(self) -> None:
        env = {
            **os.environ,
            "KUBECONFIG": str(self.cluster.testbed.kubeconfig),
            "KUBESWEEP_PROMETHEUS_URL": self.cluster.state.prometheus_url,
            "KUBESWEEP_POLL_INTERVAL": "1",
            "KUBESWEEP_METRICS_GRACE": "8",
            "KUBESWEEP_OPERATOR_METRICS_PORT": str(self.metrics_port),
        }
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "kubesweep", "operator", "--namespace", self.namespace],
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
            )

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()


@pytest.fixture
def operator(cluster: Cluster, crds: None, namespace: str, tmp_path: Path) -> Iterator[Operator]:
    """The operator, started, watching the test's namespace."""
    running = Operator(cluster, namespace, tmp_path / "operator.log")
    running.start()
    try:
        yield running
    finally:
        running.stop()
        print(running.log.read_text()[-6000:])


def grid_sweep(name: str, pause: float = 0.7, **spec: Any) -> dict[str, Any]:
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
                                        "command": [
                                            "python",
                                            "-c",
                                            TRIAL_SCRIPT.replace("PAUSE", str(pause)),
                                        ],
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
    cluster: Cluster, namespace: str, operator: Operator
) -> None:
    sweep = grid_sweep(
        "grid",
        pause=1.5,
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

    def operator_metrics() -> str | None:
        url = f"http://127.0.0.1:{operator.metrics_port}/metrics"
        with urllib.request.urlopen(url, timeout=5) as response:
            text: str = response.read().decode()
        return text if 'kubesweep_sweeps{phase="Succeeded"} 1.0' in text else None

    exposition = wait_for("the operator's metrics to show the sweep", operator_metrics)
    stopped = sum(1 for t in trials if t["status"]["phase"] == "EarlyTerminated")
    succeeded = sum(1 for t in trials if t["status"]["phase"] == "Succeeded")
    assert "kubesweep_trials_created_total 4.0" in exposition
    assert f'kubesweep_trials_stopped_total{{reason="EarlyTermination"}} {stopped}.0' in exposition
    assert f'kubesweep_trials{{phase="Succeeded"}} {succeeded}.0' in exposition
    assert "kubesweep_planning_duration_seconds_count" in exposition
    assert "kubesweep_prometheus_query_errors_total 0.0" in exposition


MODES_SCRIPT = textwrap.dedent(
    """
    import sys, time
    from kubesweep import trial
    mode = trial.parameters()["mode"]
    if mode == "fail":
        raise SystemExit(3)
    if mode == "slow":
        time.sleep(120)
    if mode == "silent":
        raise SystemExit(0)
    for step in range(1, 4):
        trial.report(step=step, accuracy=0.3 * step)
        time.sleep(0.5)
    """
)


def modes_sweep(name: str, modes: list[str], max_failed: int | None) -> dict[str, Any]:
    sweep = grid_sweep(name)
    spec = sweep["spec"]
    spec["searchSpace"] = {"mode": {"type": "choice", "values": modes}}
    spec["limits"] = {
        "maxTotalTrials": len(modes),
        "maxConcurrentTrials": 4,
        "trialTimeout": 6,
        **({"maxFailedTrials": max_failed} if max_failed is not None else {}),
    }
    container = spec["trial"]["template"]["spec"]["template"]["spec"]["containers"][0]
    container["command"] = ["python", "-c", MODES_SCRIPT]
    del container["resources"]
    return sweep


def test_failed_timed_out_and_silent_trials_end_in_the_right_phase(
    cluster: Cluster, namespace: str, operator: Operator
) -> None:
    sweep = modes_sweep("modes", ["ok", "fail", "slow", "silent"], max_failed=5)
    cluster.custom.create_namespaced_custom_object(GROUP, VERSION, namespace, "sweepjobs", sweep)
    status = wait_for("the sweep to finish", lambda: finished(cluster, namespace, "modes"), 120)
    by_mode = {t["spec"]["parameters"]["mode"]: t["status"] for t in trials_of(cluster, namespace)}
    assert by_mode["ok"]["phase"] == "Succeeded"
    assert by_mode["fail"]["phase"] == "Failed"
    assert by_mode["fail"]["reason"] == "Error"
    assert "exited with code 3" in by_mode["fail"]["message"]
    assert by_mode["slow"]["phase"] == "Failed"
    assert by_mode["slow"]["reason"] in ("TrialTimeout", "DeadlineExceeded")
    assert by_mode["silent"]["phase"] == "MetricsUnavailable"
    assert "without reporting accuracy" in by_mode["silent"]["message"]
    assert status["phase"] == "Succeeded"
    assert status["bestTrial"]["name"] == "modes-0"
    counts = status["trials"]
    assert (counts["succeeded"], counts["failed"], counts["metricsUnavailable"]) == (1, 2, 1)


def test_max_failed_trials_ends_the_sweep_as_failed(
    cluster: Cluster, namespace: str, operator: Operator
) -> None:
    sweep = modes_sweep("failing", ["fail", "fail", "ok", "ok"], max_failed=1)
    sweep["spec"]["limits"]["maxConcurrentTrials"] = 1
    cluster.custom.create_namespaced_custom_object(GROUP, VERSION, namespace, "sweepjobs", sweep)
    status = wait_for("the sweep to finish", lambda: finished(cluster, namespace, "failing"), 90)
    assert status["phase"] == "Failed"
    failed = next(c for c in status["conditions"] if c["type"] == "Failed")
    assert failed["status"] == "True"
    assert failed["reason"] == "MaxFailedTrialsExceeded"
    assert "more than maxFailedTrials 1" in failed["message"]
    assert len(trials_of(cluster, namespace)) == 2  # it stopped creating trials


def active_jobs(cluster: Cluster, namespace: str) -> int:
    count = 0
    for job in cluster.batch.list_namespaced_job(namespace).items:
        done = any(
            c.type in ("Complete", "Failed") and c.status == "True"
            for c in job.status.conditions or []
        )
        count += 0 if done else 1
    return count


def test_concurrency_holds_and_trials_without_a_gpu_are_pending_with_the_reason(
    cluster: Cluster, namespace: str, operator: Operator
) -> None:
    sweep = grid_sweep("gpus")
    spec = sweep["spec"]
    spec["searchSpace"] = {
        "quality": {"type": "choice", "values": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]}
    }
    spec["limits"] = {"maxTotalTrials": 7, "maxConcurrentTrials": 5}
    cluster.custom.create_namespaced_custom_object(GROUP, VERSION, namespace, "sweepjobs", sweep)

    most = 0
    pending_seen: list[dict[str, Any]] = []

    def progress() -> dict[str, Any] | None:
        nonlocal most
        most = max(most, active_jobs(cluster, namespace))
        for trial in trials_of(cluster, namespace):
            status = trial.get("status") or {}
            if status.get("phase") == "Pending" and status.get("reason") == "Unschedulable":
                pending_seen.append(status)
        return finished(cluster, namespace, "gpus")

    status = wait_for("the sweep to finish", progress, 150, interval=0.3)
    assert status["phase"] == "Succeeded"
    assert most <= 5
    assert most >= 4  # 4 GPUs: four ran at once
    assert pending_seen, "no trial was seen Pending for want of a GPU"
    assert "Insufficient nvidia.com/gpu" in pending_seen[0]["message"]
    assert status["trials"]["succeeded"] == 7


def test_a_killed_operator_resumes_without_duplicates_or_lost_trials(
    cluster: Cluster, namespace: str, operator: Operator
) -> None:
    sweep = grid_sweep("restart")
    spec = sweep["spec"]
    spec["searchSpace"] = {"quality": {"type": "choice", "values": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]}}
    spec["limits"] = {"maxTotalTrials": 6, "maxConcurrentTrials": 2}
    cluster.custom.create_namespaced_custom_object(GROUP, VERSION, namespace, "sweepjobs", sweep)
    wait_for("two trials to exist", lambda: len(trials_of(cluster, namespace)) >= 2)
    operator.kill()
    operator.start()
    status = wait_for("the sweep to finish", lambda: finished(cluster, namespace, "restart"), 150)
    assert status["phase"] == "Succeeded"
    trials = trials_of(cluster, namespace)
    assert [t["metadata"]["name"] for t in trials] == [f"restart-{i}" for i in range(6)]
    assert all(t["status"]["phase"] == "Succeeded" for t in trials)
    jobs = cluster.batch.list_namespaced_job(namespace).items
    assert sorted(j.metadata.name for j in jobs) == [f"restart-{i}" for i in range(6)]
    assert status["trials"]["created"] == 6


def test_without_prometheus_the_sweep_completes_from_termination_messages(
    cluster: Cluster, namespace: str, operator: Operator
) -> None:
    sweep = grid_sweep("blind")
    sweep["spec"]["limits"] = {"maxTotalTrials": 4, "maxConcurrentTrials": 4}
    cluster.custom.create_namespaced_custom_object(GROUP, VERSION, namespace, "sweepjobs", sweep)
    wait_for(
        "the sweep to run",
        lambda: sweep_status(cluster, namespace, "blind").get("phase") == "Running",
    )
    cluster.testbed.stop_prometheus()
    try:
        stale: list[dict[str, Any]] = []

        def progress() -> dict[str, Any] | None:
            status = sweep_status(cluster, namespace, "blind")
            stale.extend(
                c for c in status.get("conditions") or []
                if c["type"] == "MetricsStale" and c["status"] == "True"
            )  # fmt: skip
            return finished(cluster, namespace, "blind")

        status = wait_for("the sweep to finish", progress, 120, interval=0.3)
    finally:
        cluster.testbed.start_prometheus()
    assert stale, "no MetricsStale condition while Prometheus was down"
    assert stale[0]["reason"] == "PrometheusUnavailable"
    assert status["phase"] == "Succeeded"
    assert status["bestTrial"]["parameters"] == {"quality": 0.9}
    assert status["bestTrial"]["metric"] == pytest.approx(0.9)
    assert status["bestTrial"]["step"] == 8


def test_the_digits_example_trains_every_trial_for_real(
    cluster: Cluster, namespace: str, operator: Operator
) -> None:
    path = Path(__file__).resolve().parents[2] / "examples" / "digits" / "sweep-random-bandit.yaml"
    sweep = yaml.safe_load(path.read_text())
    cluster.custom.create_namespaced_custom_object(GROUP, VERSION, namespace, "sweepjobs", sweep)
    name = sweep["metadata"]["name"]
    status = wait_for("the digits sweep to finish", lambda: finished(cluster, namespace, name), 240)
    assert status["phase"] == "Succeeded"
    trials = trials_of(cluster, namespace)
    assert len(trials) == sweep["spec"]["limits"]["maxTotalTrials"]
    for trial in trials:
        assert trial["status"]["phase"] in ("Succeeded", "EarlyTerminated"), trial["status"]
        assert trial["status"]["metric"]["lastStep"] >= 1
    finals = {t["metadata"]["name"]: t["status"]["metric"]["best"] for t in trials}
    best = max(finals, key=lambda n: finals[n])
    assert status["bestTrial"]["name"] == best
    assert status["bestTrial"]["metric"] == pytest.approx(finals[best])
    assert status["bestTrial"]["metric"] > 0.9  # a trained network, not a guess (0.1)
    counts = status["trials"]
    assert counts["created"] == counts["completed"] == len(trials)
    assert counts["succeeded"] + counts["earlyTerminated"] == len(trials)


def test_an_invalid_sweep_fails_with_the_field_named_and_deleting_a_sweep_cleans_up(
    cluster: Cluster, namespace: str, operator: Operator
) -> None:
    bad = grid_sweep("bad")
    container = bad["spec"]["trial"]["template"]["spec"]["template"]["spec"]["containers"][0]
    container["args"] = ["--lr", "${{search_space.lr}}"]
    cluster.custom.create_namespaced_custom_object(GROUP, VERSION, namespace, "sweepjobs", bad)
    status = wait_for("the invalid sweep to fail", lambda: finished(cluster, namespace, "bad"))
    invalid = next(c for c in status["conditions"] if c["type"] == "Invalid")
    assert "containers[0].args[1]" in invalid["message"]
    assert "search_space.lr" in invalid["message"]
    assert trials_of(cluster, namespace) == []

    good = grid_sweep("good")
    good["spec"]["limits"] = {"maxTotalTrials": 2, "maxConcurrentTrials": 2}
    cluster.custom.create_namespaced_custom_object(GROUP, VERSION, namespace, "sweepjobs", good)
    wait_for("two trials", lambda: len(trials_of(cluster, namespace)) == 2)
    cluster.custom.delete_namespaced_custom_object(GROUP, VERSION, namespace, "sweepjobs", "good")
    wait_for("the trials to be deleted", lambda: trials_of(cluster, namespace) == [], 60)
    wait_for(
        "the Jobs to be deleted",
        lambda: cluster.batch.list_namespaced_job(namespace).items == [],
        60,
    )


def test_a_running_sweep_takes_new_limits(
    cluster: Cluster, namespace: str, operator: Operator
) -> None:
    """limits may change while the sweep runs (what defines its trials may not: see
    test_crds): more trials, and more at once, from the next planning step on."""
    sweep = grid_sweep("grow")
    sweep["spec"]["limits"] = {"maxTotalTrials": 2, "maxConcurrentTrials": 1}
    cluster.custom.create_namespaced_custom_object(GROUP, VERSION, namespace, "sweepjobs", sweep)
    wait_for("the first trial", lambda: len(trials_of(cluster, namespace)) >= 1)
    cluster.custom.patch_namespaced_custom_object(
        GROUP, VERSION, namespace, "sweepjobs", "grow",
        {"spec": {"limits": {"maxTotalTrials": 4, "maxConcurrentTrials": 2}}},
    )  # fmt: skip
    most = 0

    def progress() -> dict[str, Any] | None:
        nonlocal most
        most = max(most, active_jobs(cluster, namespace))
        return finished(cluster, namespace, "grow")

    status = wait_for("the sweep to finish", progress, 150, interval=0.3)
    assert status["phase"] == "Succeeded"
    assert status["trials"]["succeeded"] == 4
    assert most == 2


@pytest.mark.parametrize(
    ("policy", "stopped", "kept"),
    [
        # at a rung, a trial goes on only if it is in the top max(1, floor(n / 3)) of the n
        # trials there (itself and those before it): the first trial, and none after it
        ({"type": "asha", "minResource": 1, "reductionFactor": 3}, [0.5, 0.2, 0.1], [0.9]),
        # three brackets (shares 9 : 5 : 3 of the golden-ratio sequence): trials 0 and 2 in
        # bracket 0 (rungs at steps 1 and 3), trial 1 alone in bracket 1 (rung 3: the first
        # there goes on), trial 3 in bracket 2, the last, which never halves
        ({"type": "hyperband", "maxResource": 9, "reductionFactor": 3}, [0.2], [0.9, 0.5, 0.1]),
    ],
    ids=["asha", "hyperband"],
)
def test_asha_and_hyperband_stop_trials_on_live_metrics(
    cluster: Cluster,
    namespace: str,
    operator: Operator,
    policy: dict[str, Any],
    stopped: list[float],
    kept: list[float],
) -> None:
    sweep = grid_sweep("halving", pause=1.5, earlyTermination=policy)
    spec = sweep["spec"]
    spec["searchSpace"] = {"quality": {"type": "choice", "values": [0.9, 0.5, 0.2, 0.1]}}
    cluster.custom.create_namespaced_custom_object(GROUP, VERSION, namespace, "sweepjobs", sweep)
    status = wait_for("the sweep to finish", lambda: finished(cluster, namespace, "halving"), 150)
    assert status["phase"] == "Succeeded"

    trials = {
        t["spec"]["parameters"]["quality"]: t["status"] for t in trials_of(cluster, namespace)
    }
    for quality in stopped:
        assert trials[quality]["phase"] == "EarlyTerminated", (quality, trials[quality])
        assert trials[quality]["reason"] == f"EarlyTerminated:{policy['type']}"
        assert trials[quality]["metric"]["lastStep"] < 8
    for quality in kept:
        assert trials[quality]["phase"] == "Succeeded", (quality, trials[quality])
        assert trials[quality]["metric"]["lastStep"] == 8
    assert status["bestTrial"]["name"] == "halving-0"
    assert status["bestTrial"]["metric"] == pytest.approx(0.9)
    assert status["trials"]["earlyTerminated"] == len(stopped)


BAYESIAN_SCRIPT = textwrap.dedent(
    """
    import time
    from kubesweep import trial
    p = trial.parameters()
    value = 1.0 - (p["x"] - 0.7) ** 2 - (p["y"] - 0.3) ** 2 + (0.1 if p["act"] == "tanh" else 0.0)
    for step in range(1, 3):
        trial.report(step=step, accuracy=value)
        time.sleep(0.3)
    """
)


def bayesian_value(parameters: dict[str, Any]) -> float:
    x, y = float(parameters["x"]), float(parameters["y"])
    return 1.0 - (x - 0.7) ** 2 - (y - 0.3) ** 2 + (0.1 if parameters["act"] == "tanh" else 0.0)


def test_a_bayesian_sweep_learns_from_its_trials_and_survives_a_restart(
    cluster: Cluster, namespace: str, operator: Operator, tmp_path: Path
) -> None:
    """After the Sobol design, the model proposes trials from the results the operator read
    (the best trial is none of the design's points), four at a time, and a killed operator
    resumes the sweep without a lost or repeated trial."""
    sweep = grid_sweep("bayes")
    spec = sweep["spec"]
    spec["searchSpace"] = {
        "x": {"type": "uniform", "minValue": 0, "maxValue": 1},
        "y": {"type": "quniform", "minValue": 0, "maxValue": 1, "q": 0.05},
        "act": {"type": "choice", "values": ["relu", "tanh"]},
    }
    spec["samplingAlgorithm"] = {"type": "bayesian", "seed": 11}
    total = 16
    spec["limits"] = {"maxTotalTrials": total, "maxConcurrentTrials": 4}
    container = spec["trial"]["template"]["spec"]["template"]["spec"]["containers"][0]
    container["command"] = ["python", "-c", BAYESIAN_SCRIPT]
    del container["resources"]
    manifest = tmp_path / "bayes.yaml"
    manifest.write_text(yaml.safe_dump(sweep))
    # what the sampler proposes before any result: the Sobol design, whatever the history
    printed = subprocess.run(
        [sys.executable, "-m", "kubesweep", "sample", str(manifest), "-n", str(total)],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    design = [yaml.safe_load(line) for line in printed.splitlines()]
    assert len(design) == total

    cluster.custom.create_namespaced_custom_object(GROUP, VERSION, namespace, "sweepjobs", sweep)
    wait_for("nine trials", lambda: len(trials_of(cluster, namespace)) >= 9, 120)
    operator.kill()
    operator.start()
    status = wait_for("the sweep to finish", lambda: finished(cluster, namespace, "bayes"), 180)
    assert status["phase"] == "Succeeded"

    trials = trials_of(cluster, namespace)
    assert [t["metadata"]["name"] for t in trials] == [f"bayes-{i}" for i in range(total)]
    assert all(t["status"]["phase"] == "Succeeded" for t in trials)
    parameters = [t["spec"]["parameters"] for t in trials]
    assert len({tuple(sorted(p.items())) for p in parameters}) == total  # none repeated
    initial = max(5, 2 * 3)
    assert parameters[:initial] == design[:initial]
    for trial in trials:  # the container got the trial's parameters, the status its result
        value = bayesian_value(trial["spec"]["parameters"])
        assert trial["status"]["metric"]["best"] == pytest.approx(value)
    modelled = [i for i in range(initial, total) if parameters[i] != design[i]]
    assert modelled, "every trial was the Sobol design's: the model never proposed one"

    best = max(trials, key=lambda t: t["status"]["metric"]["best"])
    assert status["bestTrial"]["name"] == best["metadata"]["name"]
    assert status["bestTrial"]["parameters"] == best["spec"]["parameters"]
    assert best["spec"]["index"] in modelled, "the model found nothing better than the design"
    assert status["trials"]["created"] == total
