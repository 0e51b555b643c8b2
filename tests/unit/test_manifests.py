"""Pure builders and readers of Kubernetes objects: the trial Job, its observed phase, the
trial view, and PromQL."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from kubesweep.domain.trials import Goal, Objective, TrialPhase
from kubesweep.k8s.manifests import METRICS_PORT, build_sweep_trial, build_trial_job
from kubesweep.k8s.observe import observe_trial
from kubesweep.k8s.trials import thin, view_trial
from kubesweep.metrics.prometheus import (
    MetricsUnavailableError,
    escape_label_value,
    parse_curves,
    sweep_metric_query,
)
from tests.unit.conftest import VALID_SWEEP

OBJECTIVE = Objective("accuracy", Goal.MAXIMIZE)


def sweep_body() -> dict[str, Any]:
    body = copy.deepcopy(VALID_SWEEP)
    body["metadata"].update(namespace="ml", uid="sweep-uid")
    container = body["spec"]["trial"]["template"]["spec"]["template"]["spec"]["containers"][0]
    container["env"] = [{"name": "SOLVER", "value": "${{search_space.solver}}"}]
    container["args"].append("$(rm -rf /)")
    return body


PARAMETERS = {"C": 0.5, "solver": "saga", "seed": 7, "width": 48, "noise": -0.25}


def trial_body() -> dict[str, Any]:
    trial = build_sweep_trial(sweep_body(), 3, PARAMETERS)
    trial["metadata"]["uid"] = "trial-uid"
    return trial


def test_sweep_trial_is_named_by_index_labelled_and_owned_by_the_sweep() -> None:
    trial = trial_body()
    assert trial["metadata"]["name"] == "digits-logreg-3"
    assert trial["metadata"]["labels"] == {
        "kubesweep.io/sweep": "digits-logreg",
        "kubesweep.io/trial": "digits-logreg-3",
    }
    (owner,) = trial["metadata"]["ownerReferences"]
    assert (owner["kind"], owner["uid"], owner["controller"]) == ("SweepJob", "sweep-uid", True)
    assert trial["spec"] == {"sweep": "digits-logreg", "index": 3, "parameters": PARAMETERS}


def test_trial_job_substitutes_and_adds_what_kubesweep_needs() -> None:
    job = build_trial_job(sweep_body(), trial_body(), PARAMETERS, trial_timeout=1200)
    assert job["metadata"]["name"] == "digits-logreg-3"
    assert job["metadata"]["ownerReferences"][0]["uid"] == "trial-uid"
    assert job["spec"]["backoffLimit"] == 0
    assert job["spec"]["activeDeadlineSeconds"] == 1200
    pod = job["spec"]["template"]
    assert pod["metadata"]["labels"]["kubesweep.io/trial"] == "digits-logreg-3"
    assert pod["metadata"]["annotations"] == {
        "prometheus.io/scrape": "true",
        "prometheus.io/port": str(METRICS_PORT),
        "prometheus.io/path": "/metrics",
    }
    assert pod["spec"]["restartPolicy"] == "Never"
    (container,) = pod["spec"]["containers"]
    assert container["args"] == ["--C", "0.5", "--solver", "saga", "$(rm -rf /)"]
    assert container["resources"] == {"limits": {"nvidia.com/gpu": 1}}
    env = {e["name"]: e.get("value", e.get("valueFrom")) for e in container["env"]}
    assert env["SOLVER"] == "saga"
    assert env["KUBESWEEP_SWEEP"] == "digits-logreg"
    assert env["KUBESWEEP_TRIAL"] == "digits-logreg-3"
    assert json.loads(env["KUBESWEEP_PARAMETERS"]) == PARAMETERS
    assert env["KUBESWEEP_PARAM_C"] == "0.5"
    assert env["KUBESWEEP_PARAM_WIDTH"] == "48"
    assert env["KUBESWEEP_POD_IP"] == {"fieldRef": {"fieldPath": "status.podIP"}}
    assert env["KUBESWEEP_NAMESPACE"] == {"fieldRef": {"fieldPath": "metadata.namespace"}}


def test_trial_job_keeps_requested_retries_and_leaves_the_template_untouched() -> None:
    sweep = sweep_body()
    sweep["spec"]["trial"]["template"]["spec"]["backoffLimit"] = 2
    before = copy.deepcopy(sweep)
    job = build_trial_job(sweep, trial_body(), PARAMETERS, trial_timeout=None)
    assert job["spec"]["backoffLimit"] == 2
    assert "activeDeadlineSeconds" not in job["spec"]
    assert sweep == before


def job(condition: str | None = None, reason: str | None = None) -> dict[str, Any]:
    conditions = []
    if condition:
        conditions.append(
            {
                "type": condition,
                "status": "True",
                "reason": reason,
                "lastTransitionTime": "2026-01-01T00:01:00Z",
            }
        )
    return {"metadata": {"name": "t"}, "status": {"conditions": conditions}}


def pod(phase: str, terminated: dict[str, Any] | None = None, **status: Any) -> dict[str, Any]:
    container: dict[str, Any] = {"name": "train", "state": {}}
    if terminated is not None:
        container["state"] = {"terminated": terminated}
    return {
        "metadata": {"name": "t-abc", "creationTimestamp": "2026-01-01T00:00:00Z"},
        "status": {
            "phase": phase,
            "startTime": "2026-01-01T00:00:10Z",
            "containerStatuses": [container],
            **status,
        },
    }


def test_pending_is_not_running_and_carries_the_schedulers_reason() -> None:
    unschedulable = pod(
        "Pending",
        conditions=[
            {
                "type": "PodScheduled",
                "status": "False",
                "reason": "Unschedulable",
                "message": "0/2 nodes are available: 2 Insufficient nvidia.com/gpu.",
            }
        ],
    )
    seen = observe_trial(job(), [unschedulable])
    assert seen.phase is TrialPhase.PENDING
    assert seen.reason == "Unschedulable"
    assert "Insufficient nvidia.com/gpu" in (seen.message or "")
    assert observe_trial(job(), []).phase is TrialPhase.PENDING
    assert observe_trial(job(), [pod("Running")]).phase is TrialPhase.RUNNING


def test_success_reads_the_termination_message() -> None:
    message = json.dumps({"metrics": {"accuracy": {"last": 0.9, "lastStep": 5}}})
    seen = observe_trial(job("Complete"), [pod("Succeeded", {"exitCode": 0, "message": message})])
    assert seen.phase is TrialPhase.SUCCEEDED
    assert seen.termination == json.loads(message)
    assert seen.finished_at is not None


@pytest.mark.parametrize(
    ("terminated", "job_reason", "reason", "fragment"),
    [
        ({"exitCode": 3, "reason": "Error"}, "BackoffLimitExceeded", "Error", "code 3"),
        ({"exitCode": 137, "reason": "OOMKilled"}, "BackoffLimitExceeded", "OOMKilled", "memory"),
        (None, "DeadlineExceeded", "DeadlineExceeded", "trialTimeout"),
    ],
)
def test_failure_reasons(
    terminated: dict[str, Any] | None, job_reason: str, reason: str, fragment: str
) -> None:
    pods = [pod("Failed", terminated)] if terminated else []
    seen = observe_trial(job("Failed", job_reason), pods)
    assert (seen.phase, seen.reason) == (TrialPhase.FAILED, reason)
    assert fragment in (seen.message or "")


def sweep_trial(status: dict[str, Any] | None = None) -> dict[str, Any]:
    trial = trial_body()
    if status:
        trial["status"] = status
    return trial


def test_view_merges_prometheus_stored_and_termination_curves() -> None:
    stored = {"phase": "Running", "metric": {"curve": [[1, 0.1], [2, 0.2]]}}
    message = json.dumps(
        {"curve": [[4, 0.4]], "metrics": {"accuracy": {"best": 0.5, "bestStep": 5}}}
    )
    view = view_trial(
        sweep_trial(stored),
        job("Complete"),
        [pod("Succeeded", {"exitCode": 0, "message": message})],
        [(3, 0.3)],
        OBJECTIVE,
        now=0,
        grace=30,
    )
    assert [(p.step, p.value) for p in view.record.history] == [
        (1, 0.1), (2, 0.2), (3, 0.3), (4, 0.4), (5, 0.5)
    ]  # fmt: skip
    assert view.record.phase is TrialPhase.SUCCEEDED
    assert view.status["metric"]["best"] == 0.5
    assert view.status["metric"]["bestStep"] == 5


def test_a_finished_trial_without_metrics_waits_a_grace_period_then_is_unavailable() -> None:
    finished = job("Complete")
    just = view_trial(sweep_trial(), finished, [], [], OBJECTIVE, now=1767225665, grace=30)
    assert just.record.phase is TrialPhase.RUNNING
    assert just.status["reason"] == "AwaitingMetrics"
    later = view_trial(sweep_trial(), finished, [], [], OBJECTIVE, now=1767225700, grace=30)
    assert later.record.phase is TrialPhase.METRICS_UNAVAILABLE
    assert "without reporting accuracy" in later.status["message"]


def test_a_final_phase_stored_in_the_trial_is_kept() -> None:
    stored = {"phase": "EarlyTerminated", "reason": "EarlyTerminated:bandit"}
    view = view_trial(sweep_trial(stored), None, [], [(1, 0.2)], OBJECTIVE, now=0, grace=30)
    assert view.record.phase is TrialPhase.EARLY_TERMINATED
    assert not view.job_missing
    assert view.status["reason"] == "EarlyTerminated:bandit"


def test_a_trial_without_its_job_is_pending_and_says_so() -> None:
    view = view_trial(sweep_trial(), None, [], [], OBJECTIVE, now=0, grace=30)
    assert view.job_missing
    assert view.record.phase is TrialPhase.PENDING


def test_thin_keeps_the_ends_and_the_limit() -> None:
    from kubesweep.domain.trials import MetricPoint

    points = [MetricPoint(s, float(s)) for s in range(1, 1001)]
    kept = thin(points, limit=10)
    assert len(kept) == 10
    assert (kept[0], kept[-1]) == ([1, 1.0], [1000, 1000.0])


def test_label_values_are_escaped_in_promql() -> None:
    assert escape_label_value('a"b\\c\nd') == 'a\\"b\\\\c\\nd'
    query = sweep_metric_query("ns", 'x"} or vector(1) #', "accuracy")
    assert 'sweep="x\\"} or vector(1) #"' in query
    assert query.startswith("last_over_time(kubesweep_trial_metric{")


def test_parse_curves_groups_by_trial_and_sorts_steps() -> None:
    body = {
        "status": "success",
        "data": {
            "result": [
                {"metric": {"trial": "s-1", "step": "2"}, "value": [0, "0.5"]},
                {"metric": {"trial": "s-1", "step": "1"}, "value": [0, "0.4"]},
                {"metric": {"trial": "s-2", "step": "1"}, "value": [0, "NaN"]},
                {"metric": {"step": "1"}, "value": [0, "0.1"]},
            ]
        },
    }
    assert parse_curves(body) == {"s-1": [(1, 0.4), (2, 0.5)]}
    with pytest.raises(MetricsUnavailableError):
        parse_curves({"status": "error", "error": "bad query"})
