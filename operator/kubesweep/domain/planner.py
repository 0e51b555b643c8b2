"""The planner: one pure function from the state of a sweep to what to do next.

``plan_next_step(spec, trials, now, started_at)`` takes the sweep's spec, every trial as an
immutable record and a clock reading, and returns a ``Plan``: trials to create (with their
index and parameters), trials to stop and why, whether the sweep is complete and why, the
best trial and counts by phase. It is a purely computational function with no side effects:
the operator and ``kubesweep simulate`` both carry out its plans, and asking twice gives the
same answer, so a restart loses nothing. The trials may come in any order (the operator's
come as the API server lists them, by name: trial 10 before trial 2); they are planned in
order of index, so the plan is the same to the last bit.

Rules, in order:

1. More failed trials (Failed or MetricsUnavailable) than ``maxFailedTrials``: the sweep
   fails; every active trial is stopped.
2. ``timeout`` elapsed since the sweep started: the sweep ends (Succeeded when some trial
   has a result, otherwise Failed); every active trial is stopped.
3. A running trial past ``trialTimeout`` is stopped (TrialTimeout); otherwise the
   early-termination policy may stop it (EarlyTermination).
4. Free slots (``maxConcurrentTrials`` minus active trials) are filled with the lowest
   indices not yet used, below ``maxTotalTrials``, while the sampler has suggestions.
5. With nothing active and nothing left to create (``maxTotalTrials`` reached, the grid
   exhausted, or as many bayesian trials as the search space has configurations) the sweep
   is complete: Succeeded when some trial has a result, otherwise Failed.

The best trial is the one with the best value of the primary metric among trials that did
not fail (running and early-terminated trials included: their reports are real); ties go to
the lower index.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from kubesweep.domain.errors import SpecError
from kubesweep.domain.policies import EarlyTerminationPolicy, PolicyConfig, make_policy
from kubesweep.domain.samplers import Sampler, SamplingConfig, SamplingType, make_sampler
from kubesweep.domain.space import Parameters, ParameterValue, SearchSpace
from kubesweep.domain.trials import Objective, TrialPhase, TrialRecord


@dataclass(frozen=True)
class Limits:
    max_total_trials: int = 1000
    max_concurrent_trials: int | None = None
    """None: as many as maxTotalTrials."""

    max_failed_trials: int | None = None
    """None: no limit. The sweep fails once more than this many trials have failed."""

    timeout: float | None = None
    """Seconds the whole sweep may take; None: no limit."""

    trial_timeout: float | None = None
    """Seconds one trial may run; None: no limit."""

    def __post_init__(self) -> None:
        for name, value, least in (
            ("maxTotalTrials", self.max_total_trials, 1),
            ("maxConcurrentTrials", self.max_concurrent_trials, 1),
            ("maxFailedTrials", self.max_failed_trials, 0),
        ):
            if value is not None and (isinstance(value, bool) or value < least):
                raise SpecError(name, f"must be an integer of at least {least}, but got {value!r}")

    @property
    def concurrency(self) -> int:
        return self.max_concurrent_trials or self.max_total_trials


@dataclass(frozen=True)
class SweepSpec:
    """A SweepJob's spec as the pure core sees it (durations in seconds, enums resolved)."""

    objective: Objective
    space: SearchSpace
    sampling: SamplingConfig
    policy: PolicyConfig | None = None
    limits: Limits = field(default_factory=Limits)

    def __post_init__(self) -> None:
        if self.sampling.type is SamplingType.BAYESIAN and self.policy is not None:
            raise SpecError(
                "earlyTermination",
                "bayesian sampling does not support an early-termination policy (it learns "
                "from finished trials); remove earlyTermination or use random sampling",
            )
        # Build both once so that every rule they check is applied to the spec.
        self.sampler()
        self.termination_policy()

    def sampler(self) -> Sampler:
        try:
            return make_sampler(self.sampling, self.space, self.objective)
        except SpecError as error:
            raise error.under("searchSpace") from None

    def termination_policy(self) -> EarlyTerminationPolicy:
        try:
            return make_policy(self.policy)
        except SpecError as error:
            raise error.under("earlyTermination") from None


class StopReason(StrEnum):
    EARLY_TERMINATION = "EarlyTermination"
    TRIAL_TIMEOUT = "TrialTimeout"
    SWEEP_ENDED = "SweepEnded"

    @property
    def phase(self) -> TrialPhase:
        """The phase a stopped trial ends in: past trialTimeout it failed; stopped by the
        policy or by the sweep's end it was terminated early."""
        return (
            TrialPhase.FAILED if self is StopReason.TRIAL_TIMEOUT else TrialPhase.EARLY_TERMINATED
        )


class SweepPhase(StrEnum):
    PENDING = "Pending"
    RUNNING = "Running"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    STOPPED = "Stopped"


class CompletionReason(StrEnum):
    MAX_TOTAL_TRIALS_REACHED = "MaxTotalTrialsReached"
    GRID_EXHAUSTED = "GridExhausted"
    SEARCH_SPACE_EXHAUSTED = "SearchSpaceExhausted"
    TIMEOUT = "TimeoutReached"
    MAX_FAILED_TRIALS_EXCEEDED = "MaxFailedTrialsExceeded"


@dataclass(frozen=True)
class TrialToCreate:
    index: int
    parameters: dict[str, ParameterValue]


@dataclass(frozen=True)
class TrialToStop:
    index: int
    reason: StopReason
    message: str
    policy: str | None = None
    step: int | None = None
    details: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Completion:
    phase: SweepPhase
    reason: CompletionReason
    message: str


@dataclass(frozen=True)
class BestTrial:
    index: int
    parameters: Parameters
    metric: float
    step: int


@dataclass(frozen=True)
class TrialCounts:
    created: int = 0
    pending: int = 0
    running: int = 0
    succeeded: int = 0
    failed: int = 0
    early_terminated: int = 0
    metrics_unavailable: int = 0

    @classmethod
    def of(cls, trials: Sequence[TrialRecord]) -> TrialCounts:
        def count(phase: TrialPhase) -> int:
            return sum(1 for t in trials if t.phase is phase)

        return cls(
            created=len(trials),
            pending=count(TrialPhase.PENDING),
            running=count(TrialPhase.RUNNING),
            succeeded=count(TrialPhase.SUCCEEDED),
            failed=count(TrialPhase.FAILED),
            early_terminated=count(TrialPhase.EARLY_TERMINATED),
            metrics_unavailable=count(TrialPhase.METRICS_UNAVAILABLE),
        )

    @property
    def active(self) -> int:
        return self.pending + self.running

    @property
    def completed(self) -> int:
        """Trials in a final phase."""
        return self.succeeded + self.failed + self.early_terminated + self.metrics_unavailable

    @property
    def failed_total(self) -> int:
        return self.failed + self.metrics_unavailable


@dataclass(frozen=True)
class Plan:
    create: tuple[TrialToCreate, ...] = ()
    stop: tuple[TrialToStop, ...] = ()
    completion: Completion | None = None
    best_trial: BestTrial | None = None
    counts: TrialCounts = field(default_factory=TrialCounts)
    exhausted: bool = False
    """The sampler has nothing more to propose (a finished grid)."""


def counts_after(trials: Sequence[TrialRecord], plan: Plan) -> TrialCounts:
    """Trial counts once ``plan`` is carried out: stopped trials in the phase they end in,
    created trials pending."""
    phases = {t.index: t.phase for t in trials}
    for stop in plan.stop:
        phases[stop.index] = stop.reason.phase
    for create in plan.create:
        phases[create.index] = TrialPhase.PENDING
    return TrialCounts.of(
        [TrialRecord(index, {}, phase) for index, phase in sorted(phases.items())]
    )


def find_best_trial(trials: Sequence[TrialRecord], objective: Objective) -> BestTrial | None:
    """The trial with the best primary metric among those that did not fail."""
    best: BestTrial | None = None
    for trial in sorted(trials, key=lambda t: t.index):
        if trial.phase.failed:
            continue
        point = trial.best(objective)
        if point is not None and (best is None or objective.better(point.value, best.metric)):
            best = BestTrial(trial.index, trial.parameters, point.value, point.step)
    return best


def _stop_all(trials: Sequence[TrialRecord], message: str) -> tuple[TrialToStop, ...]:
    return tuple(
        TrialToStop(t.index, StopReason.SWEEP_ENDED, message) for t in trials if t.phase.active
    )


def _ending(best: BestTrial | None, reason: CompletionReason, message: str) -> Completion:
    if best is None:
        return Completion(
            SweepPhase.FAILED, reason, f"{message}; no trial reported the primary metric"
        )
    return Completion(SweepPhase.SUCCEEDED, reason, message)


def _stops(spec: SweepSpec, trials: Sequence[TrialRecord], now: float) -> tuple[TrialToStop, ...]:
    policy = spec.termination_policy()
    stops: list[TrialToStop] = []
    for trial in trials:
        if trial.phase is not TrialPhase.RUNNING:
            continue
        limit = spec.limits.trial_timeout
        if limit is not None and trial.started_at is not None and now - trial.started_at >= limit:
            stops.append(
                TrialToStop(
                    trial.index,
                    StopReason.TRIAL_TIMEOUT,
                    f"ran {now - trial.started_at:.0f}s, longer than trialTimeout {limit:.0f}s",
                    step=trial.latest_step or None,
                )
            )
            continue
        decision = policy.evaluate(trial, trials, spec.objective)
        if decision is not None:
            stops.append(
                TrialToStop(
                    trial.index,
                    StopReason.EARLY_TERMINATION,
                    decision.message,
                    policy=decision.policy,
                    step=decision.step,
                    details=dict(decision.details),
                )
            )
    return tuple(stops)


def plan_next_step(
    spec: SweepSpec, trials: Sequence[TrialRecord], now: float, started_at: float
) -> Plan:
    """What to do next for a sweep that started at ``started_at``, seen at ``now``."""
    trials = sorted(trials, key=lambda trial: trial.index)
    counts = TrialCounts.of(trials)
    best = find_best_trial(trials, spec.objective)
    limits = spec.limits

    if limits.max_failed_trials is not None and counts.failed_total > limits.max_failed_trials:
        message = (
            f"{counts.failed_total} trials failed, more than maxFailedTrials "
            f"{limits.max_failed_trials}"
        )
        return Plan(
            stop=_stop_all(trials, message),
            completion=Completion(
                SweepPhase.FAILED, CompletionReason.MAX_FAILED_TRIALS_EXCEEDED, message
            ),
            best_trial=best,
            counts=counts,
        )

    if limits.timeout is not None and now - started_at >= limits.timeout:
        message = f"the sweep ran {now - started_at:.0f}s, reaching timeout {limits.timeout:.0f}s"
        return Plan(
            stop=_stop_all(trials, message),
            completion=_ending(best, CompletionReason.TIMEOUT, message),
            best_trial=best,
            counts=counts,
        )

    stops = _stops(spec, trials, now)
    active = counts.active - len(stops)

    sampler = spec.sampler()
    used = {t.index for t in trials}
    total = (
        limits.max_total_trials
        if sampler.size is None
        else min(limits.max_total_trials, sampler.size)
    )
    exhausted = sampler.size is not None and sampler.size <= limits.max_total_trials
    create: list[TrialToCreate] = []
    free = max(limits.concurrency - active, 0)
    # Trials planned in this step are pending for the suggestions after them, so a
    # model-based sampler spreads concurrent trials out.
    seen = list(trials)
    for index in range(total):
        if len(create) >= free:
            break
        if index in used:
            continue
        parameters = sampler.suggest(index, seen)
        if parameters is None:
            exhausted = True
            break
        create.append(TrialToCreate(index, parameters))
        seen.append(TrialRecord(index, parameters, TrialPhase.PENDING))

    completion = None
    if not create and active == 0 and not stops and (len(used) >= total or exhausted):
        if exhausted and len(used) < limits.max_total_trials:
            if spec.sampling.type is SamplingType.GRID:
                reason = CompletionReason.GRID_EXHAUSTED
                message = f"all {len(used)} points of the grid were tried"
            else:  # bayesian, in a space of finitely many configurations
                reason = CompletionReason.SEARCH_SPACE_EXHAUSTED
                message = f"each of the search space's {sampler.size} configurations had a trial"
            completion = _ending(best, reason, message)
        else:
            completion = _ending(
                best,
                CompletionReason.MAX_TOTAL_TRIALS_REACHED,
                f"all {len(used)} trials finished",
            )
    return Plan(
        create=tuple(create),
        stop=stops,
        completion=completion,
        best_trial=best,
        counts=counts,
        exhausted=exhausted,
    )
