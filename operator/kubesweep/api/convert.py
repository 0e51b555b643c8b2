"""From the API models to the pure core's types.

``to_sweep_spec`` turns a validated ``SweepJobSpec`` into the domain's ``SweepSpec``
(distributions as value objects, durations in seconds, enums resolved). Every rule the
domain applies raises a ``SpecError`` whose field is the full path in the SweepJob
(``spec.searchSpace.C.maxValue``); ``spec_problems`` collects them all instead of stopping
at the first.
"""

from __future__ import annotations

from collections.abc import Iterator

from kubesweep.api.models import (
    AshaPolicySpec,
    BanditPolicySpec,
    ChoiceDistribution,
    DistributionSpec,
    EarlyTerminationSpec,
    HyperbandPolicySpec,
    LimitsSpec,
    LogNormalDistribution,
    LogUniformDistribution,
    NormalDistribution,
    QLogNormalDistribution,
    QLogUniformDistribution,
    QNormalDistribution,
    QUniformDistribution,
    RandIntDistribution,
    SamplingAlgorithmSpec,
    SweepJobSpec,
    TruncationSelectionPolicySpec,
    UniformDistribution,
)
from kubesweep.domain.durations import parse_duration
from kubesweep.domain.errors import SpecError
from kubesweep.domain.planner import Limits, SweepSpec
from kubesweep.domain.policies import PolicyConfig, PolicyType, make_policy
from kubesweep.domain.samplers import SamplingConfig, SamplingRule, SamplingType
from kubesweep.domain.space import (
    Choice,
    Distribution,
    LogNormal,
    LogUniform,
    Normal,
    QLogNormal,
    QLogUniform,
    QNormal,
    QUniform,
    RandInt,
    SearchSpace,
    Uniform,
)
from kubesweep.domain.trials import Goal, Objective


def to_distribution(spec: DistributionSpec) -> Distribution:
    """The domain value object for one searchSpace entry (raises SpecError)."""
    match spec:
        case ChoiceDistribution():
            return Choice(tuple(spec.values))
        case RandIntDistribution():
            return RandInt(spec.upper)
        case UniformDistribution():
            return Uniform(spec.min_value, spec.max_value)
        case QUniformDistribution():
            return QUniform(spec.min_value, spec.max_value, spec.q)
        case LogUniformDistribution():
            return LogUniform(spec.min_value, spec.max_value)
        case QLogUniformDistribution():
            return QLogUniform(spec.min_value, spec.max_value, spec.q)
        case NormalDistribution():
            return Normal(spec.mu, spec.sigma)
        case QNormalDistribution():
            return QNormal(spec.mu, spec.sigma, spec.q)
        case LogNormalDistribution():
            return LogNormal(spec.mu, spec.sigma)
        case QLogNormalDistribution():
            return QLogNormal(spec.mu, spec.sigma, spec.q)


def to_sampling(spec: SamplingAlgorithmSpec, seed: int | None = None) -> SamplingConfig:
    """The sampler's configuration; ``seed`` overrides the spec's (default 0)."""
    chosen = seed if seed is not None else spec.seed
    return SamplingConfig(
        type=SamplingType(spec.type),
        rule=SamplingRule(spec.rule or "random"),
        seed=chosen if chosen is not None else 0,
    )


def to_policy(spec: EarlyTerminationSpec | None) -> PolicyConfig | None:
    if spec is None:
        return None
    if isinstance(spec, AshaPolicySpec):
        return PolicyConfig(
            type=PolicyType.ASHA,
            min_resource=spec.min_resource,
            reduction_factor=spec.reduction_factor,
            min_early_stopping_rate=spec.min_early_stopping_rate,
            max_resource=spec.max_resource,
        )
    if isinstance(spec, HyperbandPolicySpec):
        return PolicyConfig(
            type=PolicyType.HYPERBAND,
            min_resource=spec.min_resource,
            max_resource=spec.max_resource,
            reduction_factor=spec.reduction_factor,
        )
    bandit = spec if isinstance(spec, BanditPolicySpec) else None
    truncation = spec if isinstance(spec, TruncationSelectionPolicySpec) else None
    return PolicyConfig(
        type=PolicyType(spec.type),
        evaluation_interval=spec.evaluation_interval,
        delay_evaluation=spec.delay_evaluation,
        slack_factor=bandit.slack_factor if bandit else None,
        slack_amount=bandit.slack_amount if bandit else None,
        truncation_percentage=truncation.truncation_percentage if truncation else None,
        exclude_finished_jobs=truncation.exclude_finished_jobs if truncation else False,
    )


def to_limits(spec: LimitsSpec) -> Limits:
    return Limits(
        max_total_trials=spec.max_total_trials,
        max_concurrent_trials=spec.max_concurrent_trials,
        max_failed_trials=spec.max_failed_trials,
        timeout=None if spec.timeout is None else parse_duration(spec.timeout, "timeout"),
        trial_timeout=None
        if spec.trial_timeout is None
        else parse_duration(spec.trial_timeout, "trialTimeout"),
    )


def _space_problems(spec: SweepJobSpec) -> Iterator[SpecError]:
    for name, entry in spec.search_space.items():
        try:
            to_distribution(entry)
        except SpecError as error:
            yield error.under(f"spec.searchSpace.{name}")


def spec_problems(spec: SweepJobSpec, seed: int | None = None) -> list[SpecError]:
    """Every rule of the pure core that ``spec`` breaks, with full field paths."""
    problems = list(_space_problems(spec))
    try:
        to_limits(spec.limits)
    except SpecError as error:
        problems.append(error.under("spec.limits"))
    try:
        make_policy(to_policy(spec.early_termination))
    except SpecError as error:
        problems.append(error.under("spec.earlyTermination"))
    if not problems:
        try:
            to_sweep_spec(spec, seed)
        except SpecError as error:
            problems.append(error)
    return problems


def to_sweep_spec(spec: SweepJobSpec, seed: int | None = None) -> SweepSpec:
    """The pure core's view of a SweepJob spec; SpecError (with the full path) when invalid."""
    parameters: list[tuple[str, Distribution]] = []
    for name, entry in spec.search_space.items():
        try:
            parameters.append((name, to_distribution(entry)))
        except SpecError as error:
            raise error.under(f"spec.searchSpace.{name}") from None
    try:
        space = SearchSpace(tuple(parameters))
    except SpecError as error:
        raise error.under("spec.searchSpace") from None
    try:
        limits = to_limits(spec.limits)
    except SpecError as error:
        raise error.under("spec.limits") from None
    try:
        return SweepSpec(
            objective=Objective(spec.objective.primary_metric, Goal(spec.objective.goal)),
            space=space,
            sampling=to_sampling(spec.sampling_algorithm, seed),
            policy=to_policy(spec.early_termination),
            limits=limits,
        )
    except SpecError as error:
        raise error.under("spec") from None
