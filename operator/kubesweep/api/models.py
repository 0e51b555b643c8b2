"""Pydantic models of the SweepJob and SweepTrial APIs (``kubesweep.io/v1alpha1``).

Field names are the public API (see DESIGN.md): camelCase on the wire, ``extra="forbid"``
everywhere, so a misspelt field is an error rather than silently ignored. The enum values
follow Azure ML's sweep YAML, so an Azure sweep translates key by key.

These models are the one source of truth for the CRDs: ``kubesweep.api.crd`` turns their
JSON schema into the structural ``openAPIV3Schema`` under ``crds/``. Cross-field rules are
declared here twice on purpose, once as Python (applied by ``kubesweep validate`` and the
operator) and once as CEL under ``x-kubernetes-validations`` (applied by the API server);
a test evaluates both on the same specs so they cannot drift apart.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)
from pydantic.alias_generators import to_camel

from kubesweep.domain.durations import DURATION_PATTERN, parse_duration

API_GROUP = "kubesweep.io"
API_VERSION = "v1alpha1"
GROUP_VERSION = f"{API_GROUP}/{API_VERSION}"

METRIC_NAME_PATTERN = r"^[a-zA-Z_:][a-zA-Z0-9_:]*$"
PARAMETER_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
MAX_PARAMETERS = 64
MAX_CHOICE_VALUES = 1000


def _rules(*rules: tuple[str, str]) -> dict[str, Any]:
    """``x-kubernetes-validations`` for a model's JSON schema: (CEL rule, message) pairs."""
    return {"x-kubernetes-validations": [{"rule": r, "message": m} for r, m in rules]}


class ApiModel(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        use_attribute_docstrings=True,
    )


# -- objective ---------------------------------------------------------------------------


class ObjectiveSpec(ApiModel):
    """What the sweep optimises."""

    primary_metric: str = Field(pattern=METRIC_NAME_PATTERN, max_length=200)
    """Name of the metric the trials report (``kubesweep.trial.report(accuracy=...)``); a
    Prometheus metric name: letters, digits, ``_`` and ``:``, not starting with a digit."""

    goal: Literal["maximize", "minimize"]
    """Whether a bigger (maximize) or smaller (minimize) primaryMetric is better."""


# -- search space ------------------------------------------------------------------------


def _scalar(value: Any) -> Any:
    if not isinstance(value, int | float | str | bool):
        raise ValueError(f"must be a string, number or boolean, but got {value!r}")
    return value


ChoiceValue = Annotated[
    int | float | str | bool,
    BeforeValidator(_scalar),
    WithJsonSchema(
        {
            "x-kubernetes-preserve-unknown-fields": True,
            "description": "A string, number or boolean.",
        }
    ),
]


class ChoiceDistribution(ApiModel):
    """One of ``values``, each equally likely. The only type grid sampling accepts."""

    type: Literal["choice"]
    values: list[ChoiceValue] = Field(min_length=1, max_length=MAX_CHOICE_VALUES)
    """The values to choose from: strings, numbers or booleans."""


class RandIntDistribution(ApiModel):
    """A random integer in ``[0, upper)``."""

    type: Literal["randint"]
    upper: int = Field(ge=1)
    """Exclusive upper bound (at least 1)."""


# Each rule guards the fields it reads: a missing field is reported by its own rule, not as
# a CEL evaluation error.
_MIN_BELOW_MAX = (
    "!has(self.minValue) || !has(self.maxValue) || self.minValue < self.maxValue",
    "minValue must be less than maxValue",
)
_Q_POSITIVE = ("!has(self.q) || self.q > 0.0", "q must be greater than 0")
_SIGMA_POSITIVE = ("!has(self.sigma) || self.sigma > 0.0", "sigma must be greater than 0")


class UniformDistribution(ApiModel):
    """A float, uniform in ``[minValue, maxValue]``."""

    model_config = ConfigDict(json_schema_extra=_rules(_MIN_BELOW_MAX))
    type: Literal["uniform"]
    min_value: float
    """Lower bound."""
    max_value: float
    """Upper bound (greater than minValue)."""


class QUniformDistribution(ApiModel):
    """``round(uniform(minValue, maxValue) / q) * q``: an integer when q is whole."""

    model_config = ConfigDict(json_schema_extra=_rules(_MIN_BELOW_MAX, _Q_POSITIVE))
    type: Literal["quniform"]
    min_value: float
    """Lower bound."""
    max_value: float
    """Upper bound (greater than minValue)."""
    q: float
    """Quantisation step (greater than 0)."""


class LogUniformDistribution(ApiModel):
    """``exp(uniform(minValue, maxValue))``: the bounds are natural-log exponents."""

    model_config = ConfigDict(json_schema_extra=_rules(_MIN_BELOW_MAX))
    type: Literal["loguniform"]
    min_value: float
    """Lower bound, as a natural-log exponent (-5 means e^-5)."""
    max_value: float
    """Upper bound, as a natural-log exponent (greater than minValue)."""


class QLogUniformDistribution(ApiModel):
    """``round(exp(uniform(minValue, maxValue)) / q) * q``."""

    model_config = ConfigDict(json_schema_extra=_rules(_MIN_BELOW_MAX, _Q_POSITIVE))
    type: Literal["qloguniform"]
    min_value: float
    """Lower bound, as a natural-log exponent."""
    max_value: float
    """Upper bound, as a natural-log exponent (greater than minValue)."""
    q: float
    """Quantisation step (greater than 0)."""


class NormalDistribution(ApiModel):
    """A normal value with mean ``mu`` and standard deviation ``sigma``."""

    model_config = ConfigDict(json_schema_extra=_rules(_SIGMA_POSITIVE))
    type: Literal["normal"]
    mu: float
    """Mean."""
    sigma: float
    """Standard deviation (greater than 0)."""


class QNormalDistribution(ApiModel):
    """``round(normal(mu, sigma) / q) * q``."""

    model_config = ConfigDict(json_schema_extra=_rules(_SIGMA_POSITIVE, _Q_POSITIVE))
    type: Literal["qnormal"]
    mu: float
    """Mean."""
    sigma: float
    """Standard deviation (greater than 0)."""
    q: float
    """Quantisation step (greater than 0)."""


class LogNormalDistribution(ApiModel):
    """``exp(normal(mu, sigma))``."""

    model_config = ConfigDict(json_schema_extra=_rules(_SIGMA_POSITIVE))
    type: Literal["lognormal"]
    mu: float
    """Mean of the logarithm."""
    sigma: float
    """Standard deviation of the logarithm (greater than 0)."""


class QLogNormalDistribution(ApiModel):
    """``round(exp(normal(mu, sigma)) / q) * q``."""

    model_config = ConfigDict(json_schema_extra=_rules(_SIGMA_POSITIVE, _Q_POSITIVE))
    type: Literal["qlognormal"]
    mu: float
    """Mean of the logarithm."""
    sigma: float
    """Standard deviation of the logarithm (greater than 0)."""
    q: float
    """Quantisation step (greater than 0)."""


DistributionSpec = Annotated[
    ChoiceDistribution
    | RandIntDistribution
    | UniformDistribution
    | QUniformDistribution
    | LogUniformDistribution
    | QLogUniformDistribution
    | NormalDistribution
    | QNormalDistribution
    | LogNormalDistribution
    | QLogNormalDistribution,
    Field(discriminator="type"),
]


# -- sampling ------------------------------------------------------------------------------


class SamplingAlgorithmSpec(ApiModel):
    """How trials' parameters are chosen."""

    model_config = ConfigDict(
        json_schema_extra=_rules(
            (
                "!has(self.rule) || self.type == 'random'",
                "rule applies to random sampling only (rule: random or sobol)",
            ),
            (
                "!has(self.seed) || self.type != 'grid'",
                "grid sampling takes no seed: it tries every combination in order",
            ),
        )
    )
    type: Literal["grid", "random", "bayesian"]
    """grid: every combination of choice values; random: independent draws (see rule);
    bayesian: model-based, choice/uniform/quniform parameters (and, as kubesweep's extension,
    loguniform/qloguniform/randint), no earlyTermination."""

    rule: Literal["random", "sobol"] | None = None
    """For random sampling: pseudo-random draws (random, the default) or a scrambled Sobol
    sequence (sobol), which covers the space more evenly."""

    seed: int | None = Field(default=None, ge=0, le=2**32 - 1)
    """Seed for random and bayesian sampling; the same seed proposes the same trials."""

    @field_validator("rule")
    @classmethod
    def _rule_for_random_only(cls, rule: str | None, info: ValidationInfo) -> str | None:
        kind = info.data.get("type")
        if rule is not None and kind is not None and kind != "random":
            raise ValueError(
                f"rule applies to random sampling only, but type is {kind!r}; remove rule or "
                "use type: random"
            )
        return rule

    @field_validator("seed")
    @classmethod
    def _no_seed_for_grid(cls, seed: int | None, info: ValidationInfo) -> int | None:
        if seed is not None and info.data.get("type") == "grid":
            raise ValueError("grid sampling takes no seed: it tries every combination in order")
        return seed


# -- early termination -----------------------------------------------------------------------


class _PolicyBase(ApiModel):
    evaluation_interval: int = Field(default=1, ge=1)
    """Apply the policy every this many steps (metric reports)."""

    delay_evaluation: int = Field(default=0, ge=0)
    """Do not apply the policy before this step."""


class BanditPolicySpec(_PolicyBase):
    """Stop trials whose best metric is not within a slack of the best trial's at the same
    step. Maximize: value < best / (1 + slackFactor), or value < best - slackAmount.
    Minimize: value > best * (1 + slackFactor), or value > best + slackAmount."""

    model_config = ConfigDict(
        json_schema_extra=_rules(
            (
                "has(self.slackFactor) != has(self.slackAmount)",
                "a bandit policy needs exactly one of slackFactor or slackAmount",
            )
        )
    )
    type: Literal["bandit"]
    slack_factor: float | None = Field(default=None, gt=0)
    """Allowed distance from the best trial, as a ratio."""
    slack_amount: float | None = Field(default=None, gt=0)
    """Allowed distance from the best trial, as an absolute amount."""


class MedianStoppingPolicySpec(_PolicyBase):
    """Stop trials whose best metric is worse than the median of the other trials' running
    averages at the same step."""

    type: Literal["median_stopping"]


class TruncationSelectionPolicySpec(_PolicyBase):
    """Stop trials in the lowest truncationPercentage percent at each evaluation."""

    type: Literal["truncation_selection"]
    truncation_percentage: int = Field(ge=1, le=99)
    """Percentage of the lowest-performing trials to stop at each evaluation (1 to 99)."""
    exclude_finished_jobs: bool = False
    """Leave finished trials out of the comparison."""


_MAX_ABOVE_MIN = (
    "!has(self.maxResource) || self.maxResource > (has(self.minResource) ? self.minResource : 1)",
    "maxResource must be greater than minResource",
)


class AshaPolicySpec(ApiModel):
    """Our extension: asynchronous successive halving. Rungs at steps minResource *
    reductionFactor^(minEarlyStoppingRate + k), below maxResource if given; at each rung a
    trial goes on only if it is in the top 1/reductionFactor of the trials that reached it
    (the first one always does)."""

    model_config = ConfigDict(json_schema_extra=_rules(_MAX_ABOVE_MIN))
    type: Literal["asha"]
    min_resource: int = Field(default=1, ge=1)
    """Step of the first rung."""
    reduction_factor: int = Field(default=3, ge=2)
    """1/reductionFactor of the trials at a rung go on; rungs are this factor apart."""
    min_early_stopping_rate: int = Field(default=0, ge=0)
    """Skip this many rungs before the first judgement."""
    max_resource: int | None = Field(default=None, ge=2)
    """A trial's budget in steps (hyperband: required, it sets the number of brackets;
    asha: optional): no rung at or past it, so a trial that ran this many steps, and may
    still be saving its model, is not judged again."""


class HyperbandPolicySpec(ApiModel):
    """Our extension: Hyperband as brackets of ASHA with growing first rungs; the brackets
    get trials in Hyperband's proportions (most to the aggressive ones), and a trial is
    compared within its bracket."""

    model_config = ConfigDict(json_schema_extra=_rules(_MAX_ABOVE_MIN))
    type: Literal["hyperband"]
    min_resource: int = Field(default=1, ge=1)
    """Step of the first rung of the most aggressive bracket."""
    max_resource: int = Field(ge=2)
    """A trial's budget in steps (hyperband: required, it sets the number of brackets;
    asha: optional): no rung at or past it, so a trial that ran this many steps, and may
    still be saving its model, is not judged again."""
    reduction_factor: int = Field(default=3, ge=2)
    """1/reductionFactor of the trials at a rung go on; rungs are this factor apart."""


EarlyTerminationSpec = Annotated[
    BanditPolicySpec
    | MedianStoppingPolicySpec
    | TruncationSelectionPolicySpec
    | AshaPolicySpec
    | HyperbandPolicySpec,
    Field(discriminator="type"),
]


VARIANTS: dict[str, type[ApiModel]] = {
    get_args(model.model_fields["type"].annotation)[0]: model
    for model in (
        ChoiceDistribution,
        RandIntDistribution,
        UniformDistribution,
        QUniformDistribution,
        LogUniformDistribution,
        QLogUniformDistribution,
        NormalDistribution,
        QNormalDistribution,
        LogNormalDistribution,
        QLogNormalDistribution,
        BanditPolicySpec,
        MedianStoppingPolicySpec,
        TruncationSelectionPolicySpec,
        AshaPolicySpec,
        HyperbandPolicySpec,
    )
}
"""The model of each ``type`` of distribution and policy (their type names are distinct)."""


# -- limits, metrics, trial template ----------------------------------------------------------


def _duration(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(
            f"must be whole seconds (7200) or a duration string ('90s', '1h30m', '2h'), but got "
            f"{value!r}"
        )
    parse_duration(value)
    return value


Duration = Annotated[
    int | str,
    BeforeValidator(_duration),
    WithJsonSchema(
        {
            "x-kubernetes-int-or-string": True,
            "description": "Whole seconds (7200) or a duration string ('90s', '1h30m', '2h').",
            **_rules(
                (
                    "type(self) == string ? self.matches('" + DURATION_PATTERN + "') : self > 0",
                    "must be a positive number of seconds or a duration such as 90s, 1h30m, 2h",
                )
            ),
        }
    ),
]


class LimitsSpec(ApiModel):
    """Budgets of the sweep."""

    max_total_trials: int = Field(ge=1, le=100_000)
    """How many trials the sweep runs at most."""

    max_concurrent_trials: int | None = Field(default=None, ge=1, le=10_000)
    """How many trials run at once; omitted: maxTotalTrials."""

    max_failed_trials: int | None = Field(default=None, ge=0)
    """The sweep fails once more than this many trials have failed (Failed or
    MetricsUnavailable); omitted: no limit."""

    timeout: Duration | None = None
    """Time the whole sweep may take; running trials are stopped when it is reached."""

    trial_timeout: Duration | None = None
    """Time one trial may run before it is stopped and counted as failed."""


class PrometheusSpec(ApiModel):
    url: str = Field(pattern=r"^https?://", max_length=2048)
    """Base URL of the Prometheus HTTP API, e.g. http://prometheus-operated.monitoring:9090."""


class MetricsSpec(ApiModel):
    """Where the operator reads the trials' metrics."""

    prometheus: PrometheusSpec | None = None
    """The Prometheus that scrapes trial pods; omitted: the operator's default."""


_PRESERVE: dict[str, Any] = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}

JOB_TEMPLATE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": (
        "A batch/v1 JobTemplateSpec, kept as written. ${{search_space.NAME}} in a container's "
        "command, args and env values is replaced by the trial's value of NAME."
    ),
    "x-kubernetes-preserve-unknown-fields": True,
    "required": ["spec"],
    "properties": {
        "metadata": _PRESERVE,
        "spec": {
            "type": "object",
            "x-kubernetes-preserve-unknown-fields": True,
            "required": ["template"],
            "properties": {
                "template": {
                    "type": "object",
                    "x-kubernetes-preserve-unknown-fields": True,
                    "required": ["spec"],
                    "properties": {
                        "metadata": _PRESERVE,
                        "spec": {
                            "type": "object",
                            "x-kubernetes-preserve-unknown-fields": True,
                            "required": ["containers"],
                            "properties": {
                                "containers": {
                                    "type": "array",
                                    "minItems": 1,
                                    "description": "The trial's containers (at least one).",
                                    "items": {
                                        **_PRESERVE,
                                        "required": ["name", "image"],
                                        "properties": {
                                            "name": {"type": "string", "minLength": 1},
                                            "image": {"type": "string", "minLength": 1},
                                        },
                                    },
                                },
                            },
                        },
                    },
                },
            },
        },
    },
}

JobTemplate = Annotated[dict[str, Any], WithJsonSchema(JOB_TEMPLATE_SCHEMA)]


class TrialTemplateSpec(ApiModel):
    """What one trial runs."""

    template: JobTemplate
    """A batch/v1 JobTemplateSpec. The operator adds labels, annotations, the environment
    variables KUBESWEEP_* and the deadline; everything else is kept."""


# -- SweepJob ---------------------------------------------------------------------------------


def _unchanged(field: str, required: bool) -> str:
    """A CEL transition rule (the API server applies it to updates only): ``field`` is as it
    was, present or absent."""
    if required:
        return f"self.{field} == oldSelf.{field}"
    return (
        f"has(self.{field}) == has(oldSelf.{field}) && "
        f"(!has(self.{field}) || self.{field} == oldSelf.{field})"
    )


_IMMUTABLE_RULES = tuple(
    (
        _unchanged(field, required),
        f"{field} cannot change once the SweepJob exists ({why}); create a new SweepJob",
    )
    for field, required, why in (
        ("objective", True, "its trials were judged by it"),
        ("searchSpace", True, "its trials were sampled from it"),
        ("samplingAlgorithm", False, "its trials were proposed by it"),
        ("earlyTermination", False, "its trials were stopped or kept by it"),
    )
)
"""What defines a sweep's trials cannot be edited: a sampler would otherwise see trials
from another space (the bayesian one has no value for a parameter added later), and the
best trial would be chosen among trials of different sweeps. ``limits``, ``metrics`` and
``trial`` may change; a new ``trial`` template applies to trials created after it."""


class SweepJobSpec(ApiModel):
    """A hyperparameter sweep: what to optimise, over which space, how, within which limits."""

    model_config = ConfigDict(
        json_schema_extra=_rules(
            (
                "!has(self.samplingAlgorithm) || self.samplingAlgorithm.type != 'grid' || "
                "self.searchSpace.all(k, self.searchSpace[k].type == 'choice')",
                "grid sampling needs every searchSpace parameter to be of type choice",
            ),
            (
                "!has(self.samplingAlgorithm) || self.samplingAlgorithm.type != 'bayesian' || "
                "self.searchSpace.all(k, "
                "self.searchSpace[k].type in "
                "['choice', 'uniform', 'quniform', 'loguniform', 'qloguniform', 'randint'])",
                "bayesian sampling accepts searchSpace parameters of type choice, uniform, "
                "quniform, loguniform, qloguniform or randint only",
            ),
            (
                "!has(self.samplingAlgorithm) || self.samplingAlgorithm.type != 'bayesian' || "
                "!has(self.earlyTermination)",
                "bayesian sampling does not support earlyTermination",
            ),
            (
                "self.searchSpace.all(k, k.matches('" + PARAMETER_NAME_PATTERN + "'))",
                "searchSpace parameter names must be identifiers (letters, digits and _, not "
                "starting with a digit)",
            ),
            *_IMMUTABLE_RULES,
        )
    )

    objective: ObjectiveSpec
    """The primary metric and its goal."""

    search_space: dict[str, DistributionSpec] = Field(min_length=1, max_length=MAX_PARAMETERS)
    """The parameters to sweep, by name; each a distribution (choice, randint, uniform,
    quniform, loguniform, qloguniform, normal, qnormal, lognormal, qlognormal)."""

    sampling_algorithm: SamplingAlgorithmSpec = SamplingAlgorithmSpec(type="random")
    """How parameters are chosen; omitted: random."""

    early_termination: EarlyTerminationSpec | None = None
    """A policy that stops poorly performing trials early; omitted: no policy."""

    limits: LimitsSpec
    """Budgets: trials in total, at once, failed; timeouts."""

    metrics: MetricsSpec | None = None
    """Where trial metrics are read from."""

    trial: TrialTemplateSpec
    """The Job each trial runs."""


class Condition(ApiModel):
    """A Kubernetes condition."""

    type: str
    status: Literal["True", "False", "Unknown"]
    reason: str | None = None
    message: str | None = None
    last_transition_time: str | None = None
    observed_generation: int | None = None


class TrialCountsStatus(ApiModel):
    """How many trials are in each phase."""

    created: int = 0
    pending: int = 0
    running: int = 0
    succeeded: int = 0
    failed: int = 0
    early_terminated: int = 0
    metrics_unavailable: int = 0
    completed: int = 0
    """Trials in a final phase (succeeded, failed, earlyTerminated, metricsUnavailable)."""


ParameterMap = Annotated[
    dict[str, ChoiceValue],
    WithJsonSchema(
        {
            "type": "object",
            "description": "Parameter values by name (strings, numbers or booleans).",
            "additionalProperties": {"x-kubernetes-preserve-unknown-fields": True},
        }
    ),
]


class BestTrialStatus(ApiModel):
    """The best trial so far."""

    name: str
    parameters: ParameterMap
    metric: float
    """Its best value of the primary metric."""
    step: int
    """The step at which it reported that value."""


class SweepJobStatus(ApiModel):
    phase: Literal["Pending", "Running", "Succeeded", "Failed", "Stopped"] | None = None
    conditions: list[Condition] = Field(default_factory=list)
    trials: TrialCountsStatus | None = None
    best_trial: BestTrialStatus | None = None
    sampling_seed: int | None = None
    """The seed in use (the spec's, or the one the operator chose and keeps)."""
    start_time: str | None = None
    completion_time: str | None = None
    observed_generation: int | None = None


class ObjectMeta(BaseModel):
    """The parts of metadata kubesweep reads; the rest is kept as is."""

    model_config = ConfigDict(extra="allow")
    name: str | None = None
    namespace: str | None = None


class SweepJob(ApiModel):
    api_version: Literal["kubesweep.io/v1alpha1"]
    kind: Literal["SweepJob"]
    metadata: ObjectMeta = ObjectMeta()
    spec: SweepJobSpec
    status: SweepJobStatus | None = None


# -- SweepTrial -------------------------------------------------------------------------------


class MetricSummary(ApiModel):
    """The primary metric of one trial."""

    best: float | None = None
    best_step: int | None = None
    last: float | None = None
    last_step: int | None = None
    curve: list[list[float]] | None = Field(default=None, max_length=2000)
    """The primary metric by step, as [step, value] pairs (thinned when long), kept so the
    early-termination policy can compare with finished trials after their pods are gone."""


class SweepTrialSpec(ApiModel):
    """One trial of a sweep; created by the operator, named ``<sweep>-<index>``."""

    sweep: str
    """Name of the SweepJob that owns this trial."""
    index: int = Field(ge=0)
    """0-based index of the trial in its sweep."""
    parameters: ParameterMap
    """The trial's parameter values."""


class SweepTrialStatus(ApiModel):
    phase: (
        Literal[
            "Pending", "Running", "Succeeded", "Failed", "EarlyTerminated", "MetricsUnavailable"
        ]
        | None
    ) = None
    reason: str | None = None
    message: str | None = None
    metric: MetricSummary | None = None
    start_time: str | None = None
    completion_time: str | None = None
    conditions: list[Condition] = Field(default_factory=list)


class SweepTrial(ApiModel):
    api_version: Literal["kubesweep.io/v1alpha1"]
    kind: Literal["SweepTrial"]
    metadata: ObjectMeta = ObjectMeta()
    spec: SweepTrialSpec
    status: SweepTrialStatus | None = None
