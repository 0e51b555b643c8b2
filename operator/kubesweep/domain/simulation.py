"""A whole sweep on a simulated clock, for choosing a policy before spending GPU time.

``simulate(spec, objective)`` runs the same planner, samplers and policies as the operator
against a function ``f(parameters) -> [metric at step 1, step 2, ...]``. Time advances in
ticks of one step (one simulated second, so ``timeout`` and ``trialTimeout`` count steps).
In each tick every running trial reports its next step, and only then does the planner
look, so trials that run concurrently advance in lockstep: all of them have reported step
``s`` before the policy is evaluated at ``s``. A trial whose function raises, or returns a
value that is not a finite number, is Failed; one that returns no values is
MetricsUnavailable. Pure: the caller supplies the function.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from kubesweep.domain.planner import (
    Plan,
    SweepSpec,
    TrialCounts,
    find_best_trial,
    plan_next_step,
)
from kubesweep.domain.space import ParameterValue
from kubesweep.domain.trials import MetricPoint, Objective, TrialPhase, TrialRecord

ObjectiveFunction = Callable[[dict[str, ParameterValue]], Sequence[float]]


@dataclass(frozen=True)
class SimulatedTrial:
    record: TrialRecord
    curve: tuple[float, ...]
    reason: str | None = None


@dataclass(frozen=True)
class SimulationResult:
    trials: tuple[SimulatedTrial, ...]
    final_plan: Plan
    objective: Objective

    @property
    def total_steps(self) -> int:
        return sum(t.record.latest_step for t in self.trials)

    def to_json(self) -> dict[str, Any]:
        """The document ``kubesweep simulate`` prints."""
        rows: list[dict[str, Any]] = []
        for trial in self.trials:
            best = trial.record.best(self.objective)
            row: dict[str, Any] = {
                "index": trial.record.index,
                "parameters": dict(trial.record.parameters),
                "steps": trial.record.latest_step,
                "status": trial.record.phase.value,
                "metric": None if best is None else best.value,
            }
            if trial.reason:
                row["reason"] = trial.reason
            rows.append(row)
        best_trial = self.final_plan.best_trial
        completion = self.final_plan.completion
        return {
            "trials": rows,
            "bestTrial": None
            if best_trial is None
            else {
                "index": best_trial.index,
                "parameters": dict(best_trial.parameters),
                "metric": best_trial.metric,
                "step": best_trial.step,
            },
            "totalSteps": self.total_steps,
            "phase": completion.phase.value if completion else None,
            "reason": completion.reason.value if completion else None,
        }


def _curve(
    function: ObjectiveFunction, parameters: dict[str, ParameterValue]
) -> tuple[tuple[float, ...], str | None]:
    """The trial's whole curve, or the part before a failure and why it failed."""
    try:
        values = tuple(float(v) for v in function(dict(parameters)))
    except Exception as error:  # the user's function may raise anything
        return (), f"the objective raised {type(error).__name__}: {error}"
    for step, value in enumerate(values, start=1):
        if not math.isfinite(value):
            return values[: step - 1], f"the objective returned {value} at step {step}"
    return values, None


def simulate(
    spec: SweepSpec, function: ObjectiveFunction, *, max_ticks: int = 1_000_000
) -> SimulationResult:
    """Run the sweep to completion against ``function``."""
    trials: dict[int, SimulatedTrial] = {}
    now = 0
    while now <= max_ticks:
        records = [t.record for t in sorted(trials.values(), key=lambda t: t.record.index)]
        plan = plan_next_step(spec, records, now=float(now), started_at=0.0)
        for stop in plan.stop:
            trial = trials[stop.index]
            phase = stop.reason.phase
            trials[stop.index] = replace(
                trial,
                record=replace(trial.record, phase=phase, finished_at=float(now)),
                reason=stop.message,
            )
        if plan.completion is not None:
            ended = tuple(sorted(trials.values(), key=lambda t: t.record.index))
            records = [t.record for t in ended]
            final = replace(
                plan,
                best_trial=find_best_trial(records, spec.objective),
                counts=TrialCounts.of(records),
            )
            return SimulationResult(ended, final, spec.objective)
        for create in plan.create:
            curve, failure = _curve(function, create.parameters)
            trials[create.index] = SimulatedTrial(
                TrialRecord(
                    create.index, create.parameters, TrialPhase.RUNNING, started_at=float(now)
                ),
                curve,
                failure,
            )
        now += 1
        for index, trial in list(trials.items()):
            if trial.record.phase is not TrialPhase.RUNNING:
                continue
            trials[index] = _advance(trial, float(now))
    raise RuntimeError(f"the simulation did not finish within {max_ticks} steps")


def _advance(trial: SimulatedTrial, now: float) -> SimulatedTrial:
    """One tick: report the next step, or finish."""
    record = trial.record
    step = record.latest_step
    if step < len(trial.curve):
        record = replace(
            record, history=(*record.history, MetricPoint(step + 1, trial.curve[step]))
        )
        step += 1
    if step < len(trial.curve):
        return replace(trial, record=record)
    if trial.reason is not None:
        phase = TrialPhase.FAILED
    elif not trial.curve:
        phase = TrialPhase.METRICS_UNAVAILABLE
    else:
        phase = TrialPhase.SUCCEEDED
    return replace(trial, record=replace(record, phase=phase, finished_at=now))
