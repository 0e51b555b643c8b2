"""The planner: what to create, what to stop, when the sweep ends, which trial is best."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kubesweep.domain.errors import SpecError
from kubesweep.domain.planner import (
    CompletionReason,
    Limits,
    StopReason,
    SweepPhase,
    SweepSpec,
    TrialCounts,
    counts_after,
    find_best_trial,
    plan_next_step,
)
from kubesweep.domain.policies import PolicyConfig, PolicyType
from kubesweep.domain.samplers import SamplingConfig, SamplingRule, SamplingType
from kubesweep.domain.space import Choice, RandInt, SearchSpace, Uniform
from kubesweep.domain.trials import Goal, MetricPoint, Objective, TrialPhase, TrialRecord

OBJECTIVE = Objective("accuracy", Goal.MAXIMIZE)
SPACE = SearchSpace.of({"lr": Uniform(0, 1), "opt": Choice(("adam", "sgd"))})
RANDOM = SamplingConfig(SamplingType.RANDOM, seed=1)


def spec(
    *,
    total: int = 10,
    concurrent: int | None = 3,
    failed: int | None = None,
    timeout: float | None = None,
    trial_timeout: float | None = None,
    policy: PolicyConfig | None = None,
    sampling: SamplingConfig = RANDOM,
    space: SearchSpace = SPACE,
) -> SweepSpec:
    return SweepSpec(
        OBJECTIVE,
        space,
        sampling,
        policy,
        Limits(total, concurrent, failed, timeout, trial_timeout),
    )


def trial(
    index: int, phase: TrialPhase, values: list[float] | None = None, started: float = 0.0
) -> TrialRecord:
    return TrialRecord.of(
        index, {"lr": 0.1, "opt": "adam"}, phase, values or [], started_at=started
    )


def test_first_plan_fills_the_concurrency_slots_with_indices_0_1_2() -> None:
    plan = plan_next_step(spec(), [], now=0, started_at=0)
    assert [c.index for c in plan.create] == [0, 1, 2]
    assert plan.completion is None
    assert plan.stop == ()


def test_created_parameters_are_the_samplers() -> None:
    s = spec()
    plan = plan_next_step(s, [], now=0, started_at=0)
    sampler = s.sampler()
    assert [c.parameters for c in plan.create] == [sampler.suggest(i, []) for i in range(3)]


def test_never_exceeds_max_concurrent_trials() -> None:
    trials = [trial(0, TrialPhase.RUNNING), trial(1, TrialPhase.PENDING)]
    plan = plan_next_step(spec(concurrent=3), trials, now=1, started_at=0)
    assert [c.index for c in plan.create] == [2]
    full = [*trials, trial(2, TrialPhase.RUNNING)]
    assert plan_next_step(spec(concurrent=3), full, now=1, started_at=0).create == ()


def test_never_exceeds_max_total_trials() -> None:
    trials = [trial(i, TrialPhase.SUCCEEDED, [0.5]) for i in range(9)]
    plan = plan_next_step(spec(total=10, concurrent=5), trials, now=1, started_at=0)
    assert [c.index for c in plan.create] == [9]


def test_a_missing_index_is_filled_before_new_ones() -> None:
    trials = [trial(0, TrialPhase.SUCCEEDED, [0.5]), trial(2, TrialPhase.RUNNING)]
    plan = plan_next_step(spec(concurrent=3), trials, now=1, started_at=0)
    assert [c.index for c in plan.create] == [1, 3]


def test_omitted_concurrency_means_all_trials_at_once() -> None:
    plan = plan_next_step(spec(total=4, concurrent=None), [], now=0, started_at=0)
    assert len(plan.create) == 4


def test_all_trials_done_completes_the_sweep_with_the_best_trial() -> None:
    trials = [trial(i, TrialPhase.SUCCEEDED, [i / 10, i / 5]) for i in range(4)]
    plan = plan_next_step(spec(total=4), trials, now=9, started_at=0)
    assert plan.completion is not None
    assert plan.completion.phase is SweepPhase.SUCCEEDED
    assert plan.completion.reason is CompletionReason.MAX_TOTAL_TRIALS_REACHED
    assert plan.best_trial is not None
    assert (plan.best_trial.index, plan.best_trial.metric, plan.best_trial.step) == (3, 0.6, 2)


def test_does_not_complete_while_trials_are_active() -> None:
    trials = [trial(0, TrialPhase.SUCCEEDED, [0.5]), trial(1, TrialPhase.RUNNING, [0.4])]
    assert plan_next_step(spec(total=2), trials, now=9, started_at=0).completion is None


def test_grid_exhaustion_ends_the_sweep_before_max_total_trials() -> None:
    grid = spec(
        total=10,
        sampling=SamplingConfig(SamplingType.GRID),
        space=SearchSpace.of({"opt": Choice(("adam", "sgd"))}),
    )
    first = plan_next_step(grid, [], now=0, started_at=0)
    assert [c.parameters for c in first.create] == [{"opt": "adam"}, {"opt": "sgd"}]
    assert first.exhausted
    done = [
        replace(trial(i, TrialPhase.SUCCEEDED, [0.5]), parameters=c.parameters)
        for i, c in enumerate(first.create)
    ]
    plan = plan_next_step(grid, done, now=5, started_at=0)
    assert plan.create == ()
    assert plan.completion is not None
    assert plan.completion.reason is CompletionReason.GRID_EXHAUSTED
    assert plan.completion.phase is SweepPhase.SUCCEEDED


def test_trial_timeout_stops_a_running_trial() -> None:
    trials = [trial(0, TrialPhase.RUNNING, [0.5], started=10), trial(1, TrialPhase.RUNNING, [], 50)]
    plan = plan_next_step(spec(trial_timeout=60), trials, now=70, started_at=0)
    assert [(s.index, s.reason) for s in plan.stop] == [(0, StopReason.TRIAL_TIMEOUT)]
    assert "trialTimeout 60s" in plan.stop[0].message


def test_a_stopped_trial_frees_its_slot_in_the_same_plan() -> None:
    trials = [trial(i, TrialPhase.RUNNING, [0.5], started=0) for i in range(3)]
    plan = plan_next_step(spec(trial_timeout=5), trials, now=10, started_at=0)
    assert len(plan.stop) == 3
    assert [c.index for c in plan.create] == [3, 4, 5]


def test_sweep_timeout_ends_the_sweep_and_stops_active_trials() -> None:
    trials = [trial(0, TrialPhase.SUCCEEDED, [0.5]), trial(1, TrialPhase.RUNNING, [0.4])]
    plan = plan_next_step(spec(timeout=100), trials, now=100, started_at=0)
    assert plan.completion is not None
    assert plan.completion.reason is CompletionReason.TIMEOUT
    assert plan.completion.phase is SweepPhase.SUCCEEDED
    assert [(s.index, s.reason) for s in plan.stop] == [(1, StopReason.SWEEP_ENDED)]
    assert plan.create == ()


def test_sweep_timeout_without_any_result_fails() -> None:
    plan = plan_next_step(spec(timeout=10), [trial(0, TrialPhase.RUNNING)], now=11, started_at=0)
    assert plan.completion is not None
    assert plan.completion.phase is SweepPhase.FAILED
    assert "no trial reported" in plan.completion.message


def test_more_failures_than_max_failed_trials_fails_the_sweep() -> None:
    trials = [
        trial(0, TrialPhase.FAILED),
        trial(1, TrialPhase.METRICS_UNAVAILABLE),
        trial(2, TrialPhase.RUNNING, [0.3]),
    ]
    assert plan_next_step(spec(failed=2), trials, now=1, started_at=0).completion is None
    plan = plan_next_step(spec(failed=1), trials, now=1, started_at=0)
    assert plan.completion is not None
    assert plan.completion.phase is SweepPhase.FAILED
    assert plan.completion.reason is CompletionReason.MAX_FAILED_TRIALS_EXCEEDED
    assert plan.completion.message == "2 trials failed, more than maxFailedTrials 1"
    assert [s.index for s in plan.stop] == [2]


def test_early_termination_policy_stops_with_its_numbers() -> None:
    policy = PolicyConfig(PolicyType.BANDIT, slack_factor=0.2)
    trials = [trial(0, TrialPhase.RUNNING, [0.8]), trial(1, TrialPhase.RUNNING, [0.5])]
    plan = plan_next_step(spec(policy=policy), trials, now=1, started_at=0)
    assert len(plan.stop) == 1
    stop = plan.stop[0]
    assert (stop.index, stop.reason, stop.policy, stop.step) == (
        1,
        StopReason.EARLY_TERMINATION,
        "bandit",
        1,
    )
    assert stop.details["threshold"] == pytest.approx(0.8 / 1.2)


def test_only_running_trials_are_judged() -> None:
    policy = PolicyConfig(PolicyType.BANDIT, slack_factor=0.2)
    trials = [trial(0, TrialPhase.SUCCEEDED, [0.8]), trial(1, TrialPhase.SUCCEEDED, [0.1])]
    assert plan_next_step(spec(policy=policy), trials, now=1, started_at=0).stop == ()


def test_best_trial_ignores_failed_trials_and_prefers_the_lower_index_on_ties() -> None:
    trials = [
        trial(0, TrialPhase.FAILED, [0.99]),
        trial(1, TrialPhase.EARLY_TERMINATED, [0.7]),
        trial(2, TrialPhase.SUCCEEDED, [0.7]),
        trial(3, TrialPhase.RUNNING, [0.6]),
    ]
    best = find_best_trial(trials, OBJECTIVE)
    assert best is not None
    assert (best.index, best.metric) == (1, 0.7)
    minimize = find_best_trial(trials, Objective("loss", Goal.MINIMIZE))
    assert minimize is not None
    assert minimize.index == 3


def test_counts_by_phase() -> None:
    phases = [
        TrialPhase.PENDING,
        TrialPhase.RUNNING,
        TrialPhase.RUNNING,
        TrialPhase.SUCCEEDED,
        TrialPhase.FAILED,
        TrialPhase.EARLY_TERMINATED,
        TrialPhase.METRICS_UNAVAILABLE,
    ]
    counts = TrialCounts.of([trial(i, p) for i, p in enumerate(phases)])
    assert counts == TrialCounts(7, 1, 2, 1, 1, 1, 1)
    assert (counts.active, counts.failed_total) == (3, 2)


def test_planning_is_pure_same_inputs_same_plan() -> None:
    trials = [trial(0, TrialPhase.RUNNING, [0.5]), trial(1, TrialPhase.SUCCEEDED, [0.4])]
    s = spec(policy=PolicyConfig(PolicyType.MEDIAN_STOPPING))
    assert plan_next_step(s, trials, 5, 0) == plan_next_step(s, list(trials), 5, 0)


def test_spec_rejects_bayesian_with_early_termination() -> None:
    with pytest.raises(SpecError) as caught:
        spec(
            sampling=SamplingConfig(SamplingType.BAYESIAN),
            policy=PolicyConfig(PolicyType.MEDIAN_STOPPING),
        )
    assert caught.value.field == "earlyTermination"


def test_spec_reports_sampler_rules_under_search_space() -> None:
    with pytest.raises(SpecError) as caught:
        spec(sampling=SamplingConfig(SamplingType.GRID))
    assert caught.value.field == "searchSpace.lr.type"


@pytest.mark.parametrize(
    ("limits", "field"),
    [
        ({"max_total_trials": 0}, "maxTotalTrials"),
        ({"max_concurrent_trials": 0}, "maxConcurrentTrials"),
        ({"max_failed_trials": -1}, "maxFailedTrials"),
    ],
)
def test_limits_reject_bad_numbers(limits: dict[str, int], field: str) -> None:
    with pytest.raises(SpecError) as caught:
        Limits(**limits)
    assert caught.value.field == field


def test_counts_after_a_plan_put_stopped_trials_in_their_final_phase_and_new_ones_pending() -> None:
    policy = PolicyConfig(PolicyType.BANDIT, slack_factor=0.2)
    trials = [
        trial(0, TrialPhase.RUNNING, [0.8]),
        trial(1, TrialPhase.RUNNING, [0.5]),
        trial(2, TrialPhase.RUNNING, [0.7], started=0),
        trial(3, TrialPhase.SUCCEEDED, [0.6]),
    ]
    plan = plan_next_step(
        spec(concurrent=4, trial_timeout=5, policy=policy), trials, now=10, started_at=0
    )
    assert {s.index: s.reason for s in plan.stop} == {
        0: StopReason.TRIAL_TIMEOUT,
        1: StopReason.TRIAL_TIMEOUT,
        2: StopReason.TRIAL_TIMEOUT,
    }
    counts = counts_after(trials, plan)
    assert counts == TrialCounts(created=8, pending=4, succeeded=1, failed=3)
    assert counts.completed == 4
    assert StopReason.EARLY_TERMINATION.phase is TrialPhase.EARLY_TERMINATED
    assert StopReason.SWEEP_ENDED.phase is TrialPhase.EARLY_TERMINATED
    assert StopReason.TRIAL_TIMEOUT.phase is TrialPhase.FAILED


_MIXED = SearchSpace.of({"x": Uniform(0, 1), "c": Choice(("a", "b")), "k": RandInt(3)})
_GRID = SearchSpace.of({"c": Choice(("a", "b", "z")), "d": Choice((1, 2))})
_POLICIES = [
    None,
    PolicyConfig(PolicyType.BANDIT, slack_factor=0.1),
    PolicyConfig(PolicyType.MEDIAN_STOPPING),
    PolicyConfig(PolicyType.TRUNCATION_SELECTION, truncation_percentage=30),
    PolicyConfig(PolicyType.ASHA, min_resource=1, reduction_factor=2),
    PolicyConfig(PolicyType.HYPERBAND, max_resource=9, reduction_factor=3),
]
_SAMPLING = {
    "grid": SamplingConfig(SamplingType.GRID),
    "random": SamplingConfig(SamplingType.RANDOM, seed=1),
    "sobol": SamplingConfig(SamplingType.RANDOM, rule=SamplingRule.SOBOL, seed=1),
    "bayesian": SamplingConfig(SamplingType.BAYESIAN, seed=1),
}


@st.composite
def _any_sweep(draw: st.DrawFn) -> tuple[SweepSpec, list[TrialRecord], float]:
    """A spec of any sampler, policy and limits, and trials in any state: any phases, any
    indices (some past maxTotalTrials, as after it was lowered), reports at any steps with
    any floats (NaN and infinities included), started at any time."""
    sampler = draw(st.sampled_from(sorted(_SAMPLING)))
    space = _GRID if sampler == "grid" else _MIXED
    policy = None if sampler == "bayesian" else draw(st.sampled_from(_POLICIES))
    limits = Limits(
        draw(st.integers(1, 30)),
        draw(st.none() | st.integers(1, 8)),
        draw(st.none() | st.integers(0, 5)),
        draw(st.none() | st.floats(1, 1000)),
        draw(st.none() | st.floats(1, 100)),
    )
    goal = draw(st.sampled_from(list(Goal)))
    spec = SweepSpec(Objective("m", goal), space, _SAMPLING[sampler], policy, limits)
    records = []
    for index in sorted(draw(st.sets(st.integers(0, 40), max_size=25))):
        parameters: dict[str, Any]
        if sampler == "grid":
            parameters = {"c": draw(st.sampled_from("abz")), "d": draw(st.sampled_from([1, 2]))}
        else:
            parameters = {
                "x": draw(st.floats(0, 1)),
                "c": draw(st.sampled_from("ab")),
                "k": draw(st.integers(0, 2)),
            }
        steps = sorted(draw(st.sets(st.integers(1, 12), max_size=6)))
        history = tuple(MetricPoint(step, draw(st.floats())) for step in steps)
        phase = draw(st.sampled_from(list(TrialPhase)))
        started = draw(st.none() | st.floats(0, 500))
        records.append(TrialRecord(index, parameters, phase, history, started))
    return spec, records, draw(st.floats(0, 2000))


@settings(max_examples=100, deadline=None)
@given(_any_sweep())
def test_any_state_gets_a_plan_that_keeps_the_limits(
    sweep: tuple[SweepSpec, list[TrialRecord], float],
) -> None:
    """Whatever the trials say, planning does not raise (that would fail the sweep's every
    step), creates only new indices below maxTotalTrials and within the free slots, stops
    only active trials, and creates nothing once the sweep ends."""
    spec, records, now = sweep
    plan = plan_next_step(spec, records, now=now, started_at=0.0)
    used = {r.index for r in records}
    active = {r.index for r in records if r.phase.active}
    created = [t.index for t in plan.create]
    stopped = {s.index for s in plan.stop}
    assert len(set(created)) == len(created)
    assert not set(created) & used
    assert all(index < spec.limits.max_total_trials for index in created)
    assert stopped <= active
    slots = spec.limits.max_concurrent_trials or spec.limits.max_total_trials
    assert len(created) <= max(slots - len(active - stopped), 0)
    if plan.completion is not None:
        assert created == []


@settings(max_examples=100, deadline=None)
@given(_any_sweep(), st.randoms(use_true_random=False))
def test_the_plan_does_not_depend_on_the_order_of_the_trials(
    sweep: tuple[SweepSpec, list[TrialRecord], float], order: Any
) -> None:
    """The API server lists a sweep's SweepTrials by name (trial 10 before trial 2), the
    command line's simulation by index: both must get the same plan, to the last bit of
    every suggested value."""
    spec, records, now = sweep
    shuffled = list(records)
    order.shuffle(shuffled)
    assert plan_next_step(spec, shuffled, now=now, started_at=0.0) == plan_next_step(
        spec, records, now=now, started_at=0.0
    )
