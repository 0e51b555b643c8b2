"""The simulator: the planner and policies on a simulated clock, trials in lockstep."""

from __future__ import annotations

from typing import Any

import pytest

from kubesweep.domain.planner import CompletionReason, Limits, SweepPhase, SweepSpec
from kubesweep.domain.policies import PolicyConfig, PolicyType
from kubesweep.domain.samplers import SamplingConfig, SamplingType
from kubesweep.domain.simulation import simulate
from kubesweep.domain.space import Choice, SearchSpace
from kubesweep.domain.trials import Goal, Objective, TrialPhase

SPACE = SearchSpace.of({"quality": Choice((0.9, 0.2, 0.5, 0.8, 0.1, 0.7))})


def grid(policy: PolicyConfig | None = None, **limits: Any) -> SweepSpec:
    return SweepSpec(
        Objective("accuracy", Goal.MAXIMIZE),
        SPACE,
        SamplingConfig(SamplingType.GRID),
        policy,
        Limits(**{"max_total_trials": 6, "max_concurrent_trials": 3, **limits}),
    )


def curve(parameters: dict[str, Any]) -> list[float]:
    quality = float(parameters["quality"])
    return [quality * step / 10 for step in range(1, 11)]


def test_without_a_policy_every_trial_runs_to_its_end() -> None:
    result = simulate(grid(max_total_trials=10), curve)
    document = result.to_json()
    assert [t["status"] for t in document["trials"]] == ["Succeeded"] * 6
    assert [t["steps"] for t in document["trials"]] == [10] * 6
    assert document["totalSteps"] == 60
    assert document["bestTrial"]["index"] == 0
    assert document["bestTrial"]["metric"] == pytest.approx(0.9)
    assert document["bestTrial"]["step"] == 10
    assert (document["phase"], document["reason"]) == ("Succeeded", "GridExhausted")


def test_concurrent_trials_advance_in_lockstep_before_the_policy_looks() -> None:
    # Trials 0-2 start together. At step 1 trial 1 (0.02) is below 0.09 / 1.5 = 0.06:
    # stopped after exactly one step, because trial 0 had reported step 1 as well.
    policy = PolicyConfig(PolicyType.BANDIT, slack_factor=0.5)
    result = simulate(grid(policy), curve)
    rows = {t["index"]: t for t in result.to_json()["trials"]}
    assert rows[1]["status"] == "EarlyTerminated"
    assert rows[1]["steps"] == 1
    assert "bandit threshold" in rows[1]["reason"]
    assert rows[0]["status"] == "Succeeded"
    assert result.total_steps < 60


def test_a_slot_freed_by_a_stop_is_reused() -> None:
    policy = PolicyConfig(PolicyType.BANDIT, slack_factor=0.5)
    result = simulate(grid(policy), curve)
    started = {t.record.index: t.record.started_at for t in result.trials}
    assert started[3] == 1.0  # trial 1 stopped after the first tick, trial 3 took its slot


def test_max_concurrent_trials_holds_at_every_tick() -> None:
    result = simulate(grid(max_concurrent_trials=2), curve)
    for now in range(0, 40):
        running = [
            t
            for t in result.trials
            if t.record.started_at is not None
            and t.record.started_at <= now
            and (t.record.finished_at is None or t.record.finished_at > now)
        ]
        assert len(running) <= 2


def test_failures_are_recorded_and_max_failed_trials_ends_the_sweep() -> None:
    def flaky(parameters: dict[str, Any]) -> list[float]:
        if parameters["quality"] in (0.2, 0.5):
            raise RuntimeError("CUDA out of memory")
        return curve(parameters)

    result = simulate(grid(max_failed_trials=1, max_concurrent_trials=1), flaky)
    document = result.to_json()
    failed = [t for t in document["trials"] if t["status"] == "Failed"]
    assert len(failed) == 2
    assert "CUDA out of memory" in failed[0]["reason"]
    assert (document["phase"], document["reason"]) == ("Failed", "MaxFailedTrialsExceeded")


def test_non_finite_values_fail_the_trial_after_the_finite_steps() -> None:
    def broken(parameters: dict[str, Any]) -> list[float]:
        return [0.1, 0.2, float("nan"), 0.4]

    result = simulate(grid(max_total_trials=1), broken)
    row = result.to_json()["trials"][0]
    assert (row["status"], row["steps"]) == ("Failed", 2)
    assert "nan" in row["reason"]


def test_an_empty_curve_is_metrics_unavailable() -> None:
    result = simulate(grid(max_total_trials=2), lambda parameters: [])
    assert {t.record.phase for t in result.trials} == {TrialPhase.METRICS_UNAVAILABLE}
    completion = result.final_plan.completion
    assert completion is not None
    assert completion.phase is SweepPhase.FAILED


def test_trial_timeout_counts_simulated_steps() -> None:
    result = simulate(grid(trial_timeout=4), curve)
    assert {t.record.latest_step for t in result.trials} == {4}
    assert {t.record.phase for t in result.trials} == {TrialPhase.FAILED}


def test_sweep_timeout_stops_everything() -> None:
    result = simulate(grid(timeout=15, max_concurrent_trials=1), curve)
    completion = result.final_plan.completion
    assert completion is not None
    assert completion.reason is CompletionReason.TIMEOUT
    assert result.total_steps == 15


def test_same_inputs_same_simulation() -> None:
    policy = PolicyConfig(PolicyType.MEDIAN_STOPPING)
    assert simulate(grid(policy), curve).to_json() == simulate(grid(policy), curve).to_json()


def test_a_grid_as_large_as_max_total_trials_ends_by_that_limit() -> None:
    completion = simulate(grid(), curve).final_plan.completion
    assert completion is not None
    assert completion.reason is CompletionReason.MAX_TOTAL_TRIALS_REACHED


@pytest.mark.parametrize(
    "policy",
    [
        PolicyConfig(PolicyType.ASHA, min_resource=2, reduction_factor=2),
        PolicyConfig(PolicyType.HYPERBAND, min_resource=2, max_resource=8, reduction_factor=2),
    ],
    ids=["asha", "hyperband"],
)
def test_asha_and_hyperband_save_steps_and_keep_the_best(policy: PolicyConfig) -> None:
    result = simulate(grid(policy), curve)
    document = result.to_json()
    assert document["totalSteps"] < 60
    assert document["bestTrial"]["parameters"] == {"quality": 0.9}
    assert any(t["status"] == "EarlyTerminated" for t in document["trials"])
