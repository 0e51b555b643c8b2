"""Early-termination policies: one contract suite for all, then Azure's worked examples."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kubesweep.domain.errors import SpecError
from kubesweep.domain.policies import (
    AshaPolicy,
    BanditPolicy,
    EarlyTerminationPolicy,
    EvaluationSchedule,
    HyperbandPolicy,
    MedianStoppingPolicy,
    NoPolicy,
    PolicyConfig,
    PolicyType,
    TruncationSelectionPolicy,
    bandit_threshold,
    make_policy,
)
from kubesweep.domain.trials import Goal, MetricPoint, Objective, TrialPhase, TrialRecord

MAX = Objective("accuracy", Goal.MAXIMIZE)
MIN = Objective("loss", Goal.MINIMIZE)


def running(index: int, values: Sequence[float]) -> TrialRecord:
    return TrialRecord.of(index, {"i": index}, TrialPhase.RUNNING, values)


def finished(index: int, values: Sequence[float]) -> TrialRecord:
    return TrialRecord.of(index, {"i": index}, TrialPhase.SUCCEEDED, values)


POLICIES: dict[str, EarlyTerminationPolicy] = {
    "none": NoPolicy(),
    "bandit-factor": BanditPolicy(EvaluationSchedule(1, 2), slack_factor=0.1),
    "bandit-amount": BanditPolicy(EvaluationSchedule(1, 2), slack_amount=0.05),
    "median": MedianStoppingPolicy(EvaluationSchedule(1, 2)),
    "truncation": TruncationSelectionPolicy(50, EvaluationSchedule(1, 2)),
    "asha": AshaPolicy(min_resource=2, reduction_factor=2),
    "hyperband": HyperbandPolicy(max_resource=8, min_resource=2, reduction_factor=2),
}


@pytest.fixture(params=sorted(POLICIES))
def policy(request: pytest.FixtureRequest) -> EarlyTerminationPolicy:
    return POLICIES[request.param]


def spread(objective: Objective) -> list[TrialRecord]:
    """Five running trials, from clearly best (0) to clearly worst (4), over 4 steps."""
    sign = 1 if objective.goal is Goal.MAXIMIZE else -1
    return [
        running(i, [sign * (0.9 - 0.2 * i) * s / 4 + (0 if sign > 0 else 1) for s in range(1, 5)])
        for i in range(5)
    ]


class TestEveryPolicy:
    """What every policy promises, whatever its rule."""

    @pytest.mark.parametrize("objective", [MAX, MIN], ids=["maximize", "minimize"])
    def test_never_stops_the_best_trial(
        self, policy: EarlyTerminationPolicy, objective: Objective
    ) -> None:
        trials = spread(objective)
        assert policy.evaluate(trials[0], trials, objective) is None

    @pytest.mark.parametrize("objective", [MAX, MIN], ids=["maximize", "minimize"])
    def test_never_stops_the_best_trial_near_the_largest_float(
        self, policy: EarlyTerminationPolicy, objective: Objective
    ) -> None:
        """Sums of such values overflow: a mean or a median computed by summing would be
        infinite, better than any trial."""
        sign = 1 if objective.goal is Goal.MAXIMIZE else -1
        trials = [running(i, [sign * (1.7e308 - i * 1e307)] * 4) for i in range(5)]
        assert policy.evaluate(trials[0], trials, objective) is None

    @pytest.mark.parametrize("objective", [MAX, MIN], ids=["maximize", "minimize"])
    def test_stops_a_clearly_worst_trial_unless_it_is_no_policy(
        self, policy: EarlyTerminationPolicy, objective: Objective
    ) -> None:
        trials = spread(objective)
        decision = policy.evaluate(trials[4], trials, objective)
        if isinstance(policy, NoPolicy):
            assert decision is None
        else:
            assert decision is not None
            assert decision.policy == policy.name
            assert decision.step == 4
            assert objective.primary_metric in decision.message

    def test_does_not_look_before_the_delay(self, policy: EarlyTerminationPolicy) -> None:
        trials = [running(i, [0.9 - 0.2 * i]) for i in range(5)]
        assert policy.evaluate(trials[4], trials, MAX) is None

    def test_a_trial_without_reports_goes_on(self, policy: EarlyTerminationPolicy) -> None:
        trials = [*spread(MAX), running(9, [])]
        assert policy.evaluate(trials[-1], trials, MAX) is None

    def test_a_lone_trial_goes_on(self, policy: EarlyTerminationPolicy) -> None:
        trial = running(0, [0.1, 0.1, 0.1, 0.1])
        assert policy.evaluate(trial, [trial], MAX) is None

    def test_answers_the_same_twice(self, policy: EarlyTerminationPolicy) -> None:
        trials = spread(MAX)
        assert [policy.evaluate(t, trials, MAX) for t in trials] == [
            policy.evaluate(t, trials, MAX) for t in trials
        ]

    def test_ignores_non_finite_reports(self, policy: EarlyTerminationPolicy) -> None:
        trials = [*spread(MAX)[:4], running(4, [float("nan")] * 4)]
        assert policy.evaluate(trials[4], trials, MAX) is None


# -- bandit -------------------------------------------------------------------------------


def test_azure_example_best_08_with_slack_factor_02_gives_0667() -> None:
    threshold = bandit_threshold(0.8, Goal.MAXIMIZE, slack_factor=0.2, slack_amount=None)
    assert threshold == pytest.approx(0.8 / 1.2)
    assert round(threshold, 3) == 0.667


def test_azure_example_slack_amount_02_with_best_08_gives_06() -> None:
    threshold = bandit_threshold(0.8, Goal.MAXIMIZE, slack_factor=None, slack_amount=0.2)
    assert threshold == pytest.approx(0.6)


def test_minimize_uses_the_same_ratio_the_other_way() -> None:
    assert bandit_threshold(0.5, Goal.MINIMIZE, slack_factor=0.2, slack_amount=None) == (
        pytest.approx(0.6)
    )
    assert bandit_threshold(0.5, Goal.MINIMIZE, slack_factor=None, slack_amount=0.2) == (
        pytest.approx(0.7)
    )


@pytest.mark.parametrize("goal", list(Goal))
def test_negative_best_is_never_below_its_own_threshold(goal: Goal) -> None:
    threshold = bandit_threshold(-2.0, goal, slack_factor=0.5, slack_amount=None)
    if goal is Goal.MAXIMIZE:
        assert threshold < -2.0
    else:
        assert threshold > -2.0


def test_bandit_stops_below_the_threshold_and_keeps_above_it() -> None:
    policy = BanditPolicy(slack_factor=0.2)
    best = running(0, [0.8])
    above = running(1, [0.67])
    below = running(2, [0.66])
    trials = [best, above, below]
    assert policy.evaluate(above, trials, MAX) is None
    decision = policy.evaluate(below, trials, MAX)
    assert decision is not None
    assert decision.details["threshold"] == pytest.approx(0.8 / 1.2)
    assert decision.details["best"] == 0.8


def test_bandit_minimize_stops_losses_above_best_times_one_plus_slack() -> None:
    policy = BanditPolicy(slack_factor=0.2)
    trials = [running(0, [0.5]), running(1, [0.59]), running(2, [0.61])]
    assert policy.evaluate(trials[1], trials, MIN) is None
    assert policy.evaluate(trials[2], trials, MIN) is not None


def test_bandit_compares_at_the_same_step_not_with_later_results() -> None:
    policy = BanditPolicy(slack_factor=0.1)
    veteran = finished(0, [0.5, 0.6, 0.7, 0.95])
    newcomer = running(1, [0.48, 0.58])
    # At step 2 the veteran had 0.6; 0.58 is within 10% of it (not of the final 0.95).
    assert policy.evaluate(newcomer, [veteran, newcomer], MAX) is None


def test_bandit_uses_the_trials_best_value_so_far() -> None:
    policy = BanditPolicy(slack_factor=0.1)
    leader = running(0, [0.9, 0.9])
    dipping = running(1, [0.88, 0.5])
    assert policy.evaluate(dipping, [leader, dipping], MAX) is None


@pytest.mark.parametrize(
    ("factor", "amount", "field", "fragment"),
    [
        (0.1, 0.1, "slackFactor", "but got both"),
        (None, None, "slackFactor", "but got neither"),
        (-0.1, None, "slackFactor", "greater than 0"),
        (None, 0.0, "slackAmount", "greater than 0"),
    ],
)
def test_bandit_needs_exactly_one_positive_slack(
    factor: float | None, amount: float | None, field: str, fragment: str
) -> None:
    with pytest.raises(SpecError) as caught:
        BanditPolicy(slack_factor=factor, slack_amount=amount)
    assert caught.value.field == field
    assert fragment in caught.value.message


# -- median stopping -------------------------------------------------------------------------


def test_median_stopping_uses_a_real_median_not_a_mean() -> None:
    # Running averages of the others at step 2: 0.1, 0.2 and 0.9 -> median 0.2, mean 0.4.
    others = [running(0, [0.1, 0.1]), running(1, [0.2, 0.2]), running(2, [0.9, 0.9])]
    candidate = running(3, [0.3, 0.3])
    decision = MedianStoppingPolicy().evaluate(candidate, [*others, candidate], MAX)
    assert decision is None  # 0.3 beats the median 0.2; a mean (0.4) would have stopped it
    worse = running(4, [0.15, 0.15])
    decision = MedianStoppingPolicy().evaluate(worse, [*others, worse], MAX)
    assert decision is not None
    assert decision.details["median"] == pytest.approx(0.2)


def test_median_stopping_compares_with_running_averages_up_to_the_step() -> None:
    # The other trial's average up to step 2 is (0.2 + 0.4) / 2 = 0.3, though it ends at 0.9.
    other = finished(0, [0.2, 0.4, 0.9])
    candidate = running(1, [0.25, 0.31])
    assert MedianStoppingPolicy().evaluate(candidate, [other, candidate], MAX) is None
    behind = running(2, [0.25, 0.29])
    decision = MedianStoppingPolicy().evaluate(behind, [other, behind], MAX)
    assert decision is not None
    assert decision.details["median"] == pytest.approx(0.3)


def test_median_stopping_minimize() -> None:
    others = [running(0, [1.0, 0.5]), running(1, [1.0, 0.7])]
    assert MedianStoppingPolicy().evaluate(running(2, [0.6]), others, MIN) is None
    candidate = running(2, [0.9, 0.9])
    assert MedianStoppingPolicy().evaluate(candidate, [*others, candidate], MIN) is not None


# -- truncation selection --------------------------------------------------------------------


def test_truncation_stops_the_lowest_percentage() -> None:
    # Azure: 20% of 5 trials -> the lowest one is stopped at each evaluation.
    trials = [running(i, [0.5 + 0.1 * i]) for i in range(5)]
    policy = TruncationSelectionPolicy(20)
    stopped = [t.index for t in trials if policy.evaluate(t, trials, MAX) is not None]
    assert stopped == [0]
    assert [t.index for t in trials if TruncationSelectionPolicy(40).evaluate(t, trials, MAX)] == [
        0,
        1,
    ]


def test_truncation_never_breaks_ties_against_a_trial() -> None:
    trials = [running(i, [0.5]) for i in range(4)]
    policy = TruncationSelectionPolicy(50)
    assert all(policy.evaluate(t, trials, MAX) is None for t in trials)


def test_truncation_can_leave_finished_trials_out() -> None:
    done = [finished(i, [0.9]) for i in range(3)]
    current = [running(3, [0.5]), running(4, [0.6])]
    trials = [*done, *current]
    included = TruncationSelectionPolicy(50)
    excluded = TruncationSelectionPolicy(50, exclude_finished_jobs=True)
    assert included.evaluate(current[1], trials, MAX) is not None  # 2 of 5 cut, 4th of 5
    assert excluded.evaluate(current[1], trials, MAX) is None  # best of the 2 running
    assert excluded.evaluate(current[0], trials, MAX) is not None


def test_truncation_minimize() -> None:
    trials = [running(i, [0.1 * (i + 1)]) for i in range(4)]
    policy = TruncationSelectionPolicy(25)
    assert [t.index for t in trials if policy.evaluate(t, trials, MIN)] == [3]


@pytest.mark.parametrize("percentage", [0, 100, -5])
def test_truncation_percentage_must_be_1_to_99(percentage: int) -> None:
    with pytest.raises(SpecError) as caught:
        TruncationSelectionPolicy(percentage)
    assert caught.value.field == "truncationPercentage"


# -- schedule and factory --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("interval", "delay", "latest", "expected"),
    [
        (1, 0, 0, None),
        (1, 0, 1, 1),
        (1, 5, 4, None),
        (1, 5, 5, 5),
        (2, 0, 5, 4),
        (3, 4, 5, None),
        (3, 4, 6, 6),
        (3, 4, 8, 6),
    ],
)
def test_evaluation_steps(interval: int, delay: int, latest: int, expected: int | None) -> None:
    assert EvaluationSchedule(interval, delay).latest_evaluation_step(latest) == expected


def test_schedule_rejects_bad_settings() -> None:
    with pytest.raises(SpecError, match="evaluationInterval"):
        EvaluationSchedule(0, 0)
    with pytest.raises(SpecError, match="delayEvaluation"):
        EvaluationSchedule(1, -1)


def test_make_policy_builds_each_type() -> None:
    assert isinstance(make_policy(None), NoPolicy)
    bandit = make_policy(PolicyConfig(PolicyType.BANDIT, 2, 3, slack_amount=0.1))
    assert bandit == BanditPolicy(EvaluationSchedule(2, 3), slack_amount=0.1)
    assert isinstance(make_policy(PolicyConfig(PolicyType.MEDIAN_STOPPING)), MedianStoppingPolicy)
    truncation = make_policy(
        PolicyConfig(PolicyType.TRUNCATION_SELECTION, truncation_percentage=30)
    )
    assert truncation == TruncationSelectionPolicy(30)
    with pytest.raises(SpecError, match="truncationPercentage"):
        make_policy(PolicyConfig(PolicyType.TRUNCATION_SELECTION))


# -- ASHA and Hyperband ------------------------------------------------------------------------


def test_asha_judges_at_the_highest_rung_reached_and_keeps_the_top_fraction() -> None:
    policy = AshaPolicy(min_resource=1, reduction_factor=3)
    # Rungs at steps 1, 3, 9. Six trials reached step 3; keep floor(6 / 3) = 2.
    trials = [finished(i, [0.1 * i] * 3) for i in range(5)]
    candidate = running(5, [0.05, 0.05, 0.25])
    decision = policy.evaluate(candidate, [*trials, candidate], MAX)
    assert decision is not None
    assert decision.step == 3
    assert decision.details == {"value": 0.25, "rung": 3.0, "keep": 2.0, "pool": 6.0}
    good = running(5, [0.05, 0.05, 0.35])
    assert policy.evaluate(good, [*trials, good], MAX) is None  # second of six: kept


def test_asha_lets_the_first_trial_at_a_rung_go_on() -> None:
    policy = AshaPolicy(min_resource=2, reduction_factor=2)
    lone = running(0, [0.0, 0.0])
    slower = running(1, [0.5])
    assert policy.evaluate(lone, [lone, slower], MAX) is None


def test_asha_promotion_is_not_revisited_by_trials_that_reach_the_rung_later() -> None:
    policy = AshaPolicy(min_resource=1, reduction_factor=2)
    # Trial 0 reached rung 1 first, alone, and went on; trials 1-3 reach it now, all better.
    early = running(0, [0.2, 0.2])
    late = [running(i, [0.9]) for i in (1, 2, 3)]
    assert policy.evaluate(early, [early, *late], MAX) is None
    # Each late trial is judged against those before it: trial 3 sees 0, 1, 2 (keep 2).
    decision = policy.evaluate(running(3, [0.1]), [early, *late[:2], running(3, [0.1])], MAX)
    assert decision is not None
    assert decision.details["pool"] == 4.0
    # A later trial already further past the rung did reach it first, and counts.
    fast = running(9, [0.9, 0.9, 0.9])
    slow = running(4, [0.1])
    assert policy.evaluate(slow, [slow, fast], MAX) is not None


def test_asha_judges_no_trial_at_or_past_its_max_resource() -> None:
    # rungs at 1, 3 and 9 below a budget of 9 steps: a trial that fell behind at step 9,
    # its last (still running: saving its model, say), is judged at rung 3, where it led
    ahead = finished(0, [0.5] * 3 + [0.9] * 6)
    behind = running(1, [0.6] * 9)
    assert AshaPolicy(max_resource=9).evaluate(behind, [ahead, behind], MAX) is None
    assert AshaPolicy().evaluate(behind, [ahead, behind], MAX) is not None  # no budget
    trailing = running(1, [0.4] * 9)
    assert AshaPolicy(max_resource=9).evaluate(trailing, [ahead, trailing], MAX) is not None


def test_asha_min_early_stopping_rate_skips_rungs() -> None:
    policy = AshaPolicy(min_resource=1, reduction_factor=2, min_early_stopping_rate=2)
    trials = [running(0, [0.9] * 3), running(1, [0.1] * 3)]
    assert policy.evaluate(trials[1], trials, MAX) is None  # first rung at 1 * 2**2 = 4


def test_hyperband_brackets_and_membership() -> None:
    policy = HyperbandPolicy(max_resource=27, min_resource=1, reduction_factor=3)
    assert policy.brackets == 4
    brackets = [policy.bracket(i) for i in range(49)]
    # Hyperband's allocation: the configurations its brackets start with, 27, 12, 6 and 4
    assert [brackets.count(b) for b in range(4)] == [27, 12, 6, 4]
    assert set(brackets[:10]) == {0, 1, 2, 3}, "a short sweep visits every bracket"
    assert brackets[:3] == [0, 1, 0]
    # Trials 0 and 2 share bracket 0 (rungs 1, 3, 9); trial 1 is elsewhere.
    trials = [running(0, [0.9]), running(1, [0.99]), running(2, [0.1])]
    decision = policy.evaluate(trials[2], trials, MAX)
    assert decision is not None
    assert decision.message.startswith("bracket 0:")
    assert policy.evaluate(trials[0], trials, MAX) is None


def test_hyperband_judges_no_trial_at_or_past_its_top_rung() -> None:
    policy = HyperbandPolicy(max_resource=27, min_resource=1, reduction_factor=3)
    assert policy.top_rung == 27
    # bracket 0: trial 2 beat trial 0 up to rung 9 and falls behind by step 27, where a
    # rung of 27 would stop it after all its budget (its last report, say, while it saves)
    ahead = finished(0, [0.5] * 9 + [0.99] * 21)
    behind = running(2, [0.6] * 30)
    assert policy.evaluate(behind, [ahead, behind], MAX) is None
    early = running(2, [0.6] * 9 + [0.1])  # yet it is judged at rung 9, below the top
    assert policy.evaluate(early, [finished(0, [0.9] * 30), early], MAX) is not None
    # the last bracket (trials 8, 21, ...) never halves
    assert (policy.bracket(8), policy.bracket(21)) == (3, 3)
    last = [finished(8, [0.9] * 30), running(21, [0.1] * 30)]
    assert policy.evaluate(last[1], last, MAX) is None
    # where maxResource is not minResource times a power of the factor, the top rung is
    # the last such step below it: 8 steps, factor 3, two brackets, top rung 3
    short = HyperbandPolicy(max_resource=8, min_resource=1, reduction_factor=3)
    assert (short.brackets, short.top_rung) == (2, 3)
    lead = finished(0, [0.5, 0.9, 0.9])
    trailing = running(2, [0.6, 0.6, 0.6, 0.6])
    assert short.evaluate(trailing, [lead, trailing], MAX) is None  # rung 1 only
    assert short.evaluate(running(2, [0.4]), [lead, running(2, [0.4])], MAX) is not None


@pytest.mark.parametrize(
    ("max_resource", "reduction_factor"), [(8, 2), (27, 3), (100, 4), (1000, 2), (10**6, 3)]
)
def test_hyperband_prefixes_split_close_to_the_bracket_shares(
    max_resource: int, reduction_factor: int
) -> None:
    policy = HyperbandPolicy(max_resource=max_resource, reduction_factor=reduction_factor)
    n = policy.brackets
    weights = [math.ceil(n / (n - b) * reduction_factor ** (n - 1 - b)) for b in range(n)]
    shares = [w / sum(weights) for w in weights]
    counts = [0] * n
    for index in range(1000):
        counts[policy.bracket(index)] += 1
        total = index + 1
        assert all(abs(counts[b] - total * shares[b]) < 3 for b in range(n)), (total, counts)


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: AshaPolicy(min_resource=0), "minResource"),
        (lambda: AshaPolicy(reduction_factor=1), "reductionFactor"),
        (lambda: AshaPolicy(min_early_stopping_rate=-1), "minEarlyStoppingRate"),
        (lambda: AshaPolicy(min_resource=3, max_resource=3), "maxResource"),
        (lambda: HyperbandPolicy(max_resource=2, min_resource=2), "maxResource"),
    ],
)
def test_asha_and_hyperband_reject_bad_settings(build: Any, field: str) -> None:
    with pytest.raises(SpecError) as caught:
        build()
    assert caught.value.field == field


def test_make_policy_builds_asha_and_hyperband() -> None:
    asha = make_policy(PolicyConfig(PolicyType.ASHA, min_resource=2, reduction_factor=4))
    assert asha == AshaPolicy(2, 4, 0)
    budget = make_policy(PolicyConfig(PolicyType.ASHA, max_resource=27))
    assert budget == AshaPolicy(1, 3, 0, max_resource=27)
    hyperband = make_policy(PolicyConfig(PolicyType.HYPERBAND, min_resource=1, max_resource=9))
    assert hyperband == HyperbandPolicy(9, 1, 3)
    with pytest.raises(SpecError, match="maxResource"):
        make_policy(PolicyConfig(PolicyType.HYPERBAND))


def _records(draw: st.DrawFn) -> list[TrialRecord]:
    """Trials in any phase, each with reports at increasing steps (Prometheus may skip
    some) of any float, NaN and infinities included (a policy reads only finite ones)."""
    phases = st.sampled_from(list(TrialPhase))
    values = st.floats(allow_nan=True, allow_infinity=True)
    records = []
    for index in range(draw(st.integers(1, 10))):
        steps = sorted(draw(st.sets(st.integers(1, 40), max_size=8)))
        history = tuple(MetricPoint(step, draw(values)) for step in steps)
        records.append(TrialRecord(index, {"i": index}, draw(phases), history))
    return records


@pytest.mark.parametrize("name", sorted(POLICIES))
@pytest.mark.parametrize("objective", [MAX, MIN], ids=["maximize", "minimize"])
def test_any_history_gets_a_decision_that_names_a_reported_step(
    name: str, objective: Objective
) -> None:
    """Whatever the trials reported (gaps, equal values, huge, NaN, infinite), a policy
    decides without raising (an exception would fail the sweep's every planning step), and
    a stop names a step the trial reached and finite figures."""
    policy = POLICIES[name]

    @settings(max_examples=60, deadline=None)
    @given(st.data())
    def check(data: st.DataObject) -> None:
        trials = _records(data.draw)
        for trial in trials:
            if not trial.phase.active:
                continue
            decision = policy.evaluate(trial, trials, objective)
            if decision is not None:
                assert 1 <= decision.step <= trial.latest_step
                assert all(math.isfinite(v) for v in decision.details.values()), decision

    check()


def test_a_records_figures_are_memoised_and_a_replaced_record_starts_afresh() -> None:
    """A planning step's policy asks each trial's best and mean once per running trial, so
    a record keeps them; ``dataclasses.replace`` (a new phase, a longer history) must not
    carry them over."""
    import dataclasses

    record = running(0, [0.1, 0.3, 0.2])
    assert record.best(MAX) == MetricPoint(2, 0.3)
    assert record.running_average_until(3) == pytest.approx(0.2)
    assert record.latest_step == 3
    assert ("best", 3, MAX) in record._memo
    longer = dataclasses.replace(record, history=(*record.history, MetricPoint(4, 0.9)))
    assert longer.best(MAX) == MetricPoint(4, 0.9)
    assert longer.running_average_until(4) == pytest.approx(0.375)
    assert longer.latest_step == 4
    assert record.best(MAX) == MetricPoint(2, 0.3)  # the old record keeps its own
    assert longer == dataclasses.replace(longer)  # the memo takes no part in equality


def test_hyperband_brackets_are_the_same_from_its_memo() -> None:
    from kubesweep.domain.policies import _asha

    policy = HyperbandPolicy(max_resource=81, min_resource=1, reduction_factor=3)
    first = [policy.bracket(i) for i in range(500)]
    assert first == [
        _asha._bracket.__wrapped__(i, policy.brackets, policy.reduction_factor) for i in range(500)
    ]
    assert first == [policy.bracket(i) for i in range(500)]
    assert set(first) == set(range(policy.brackets))
