"""The CRDs: generated from the models, structural, and as strict as ``kubesweep validate``."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from kubesweep.api.convert import to_sweep_spec
from kubesweep.api.crd import openapi_schema, render_crds, sweepjob_crd, sweeptrial_crd
from kubesweep.api.models import SweepJob
from kubesweep.api.validation import validate_document
from kubesweep.domain.policies import AshaPolicy, HyperbandPolicy
from tests.unit import crd_schema
from tests.unit.conftest import EXAMPLES, VALID_SWEEP, load_example

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = openapi_schema(SweepJob)


def test_checked_in_crds_are_generated_from_the_models() -> None:
    for name, text in render_crds().items():
        path = ROOT / "crds" / name
        assert path.exists(), f"crds/{name} is missing: run `make crds`"
        assert path.read_text() == text, f"crds/{name} is stale: run `make crds`"


def walk(node: Any, path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        yield path, node
        for key in ("properties",):
            for name, child in node.get(key, {}).items():
                yield from walk(child, f"{path}.{name}")
        if isinstance(node.get("additionalProperties"), dict):
            yield from walk(node["additionalProperties"], f"{path}.*")
        if "items" in node:
            yield from walk(node["items"], f"{path}[]")


@pytest.mark.parametrize("crd", [sweepjob_crd, sweeptrial_crd], ids=["SweepJob", "SweepTrial"])
def test_schema_is_structural(crd: Callable[[], dict[str, Any]]) -> None:
    schema = crd()["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    for path, node in walk(schema):
        assert not {"anyOf", "oneOf", "allOf", "$ref", "const", "title"} & set(node), path
        assert (
            "type" in node
            or node.get("x-kubernetes-int-or-string")
            or node.get("x-kubernetes-preserve-unknown-fields")
        ), f"{path} has no type"
        assert not ("properties" in node and "additionalProperties" in node), path
        assert node.get("additionalProperties") is not False, path
        assert "default" not in node, path


def test_unknown_fields_are_kept_only_in_the_trial_template_and_scalar_values() -> None:
    preserved = [
        path for path, node in walk(SCHEMA) if node.get("x-kubernetes-preserve-unknown-fields")
    ]
    for path in preserved:
        assert path.startswith(".spec.trial.template") or path in {
            ".spec.searchSpace.*.values[]",
            ".status.bestTrial.parameters.*",
        }, path
    assert ".spec.trial.template" in preserved


def test_every_field_has_a_description_for_kubectl_explain() -> None:
    missing = [
        path
        for path, node in walk(SCHEMA["properties"]["spec"], ".spec")
        if "description" not in node and not path.startswith(".spec.trial.template.")
    ]
    assert missing == []
    early = SCHEMA["properties"]["spec"]["properties"]["earlyTermination"]
    assert "stops poorly performing trials" in early["description"]
    assert set(early["properties"]) >= {"slackFactor", "truncationPercentage"}


def test_names_columns_and_status_subresource() -> None:
    crd = sweepjob_crd()
    assert crd["metadata"]["name"] == "sweepjobs.kubesweep.io"
    assert crd["spec"]["names"]["shortNames"] == ["sweep", "sj", "sweeps"]
    version = crd["spec"]["versions"][0]
    assert version["subresources"] == {"status": {}}
    columns = {c["name"]: c["jsonPath"] for c in version["additionalPrinterColumns"]}
    assert columns["Phase"] == ".status.phase"
    assert columns["Done"] == ".status.trials.completed"
    assert columns["Total"] == ".spec.limits.maxTotalTrials"
    assert columns["Best"] == ".status.bestTrial.metric"
    assert columns["Age"] == ".metadata.creationTimestamp"
    assert sweeptrial_crd()["spec"]["names"]["shortNames"] == ["strial"]


def test_cel_rules_have_messages_and_no_line_breaks() -> None:
    for path, node in walk(SCHEMA):
        for rule in node.get("x-kubernetes-validations", []):
            assert rule["message"], path
            assert "\n" not in rule["rule"], path


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_examples_pass_the_crd_schema_and_its_cel_rules(path: Path) -> None:
    assert crd_schema.problems(SCHEMA, load_example(path)) == []


def test_the_reference_sweep_passes_the_crd_schema() -> None:
    assert crd_schema.problems(SCHEMA, VALID_SWEEP) == []


def mutate(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    document = copy.deepcopy(VALID_SWEEP)
    change(document["spec"])
    return document


def grid_with_uniform(spec: dict[str, Any]) -> None:
    spec["samplingAlgorithm"] = {"type": "grid"}
    spec["searchSpace"] = {"a": {"type": "choice", "values": [1]}, "b": spec["searchSpace"]["C"]}
    spec.pop("earlyTermination")


def bayesian_with(entry: dict[str, Any], policy: bool) -> Callable[[dict[str, Any]], None]:
    def change(spec: dict[str, Any]) -> None:
        spec["samplingAlgorithm"] = {"type": "bayesian"}
        spec["searchSpace"] = {"x": entry}
        if not policy:
            spec.pop("earlyTermination")

    return change


def set_in(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(spec: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node = spec
        for part in parents:
            node = node[part]
        if value is DELETE:
            node.pop(last)
        else:
            node[last] = value

    return change


DELETE = object()
BAD_SPECS: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "grid with a non-choice parameter": (grid_with_uniform, "spec.searchSpace.b.type"),
    "bayesian with normal": (
        bayesian_with({"type": "normal", "mu": 0, "sigma": 1}, False),
        "spec.searchSpace.x.type",
    ),
    "bayesian with an early-termination policy": (
        bayesian_with({"type": "uniform", "minValue": 0, "maxValue": 1}, True),
        "spec.earlyTermination",
    ),
    "bandit with both slacks": (
        set_in("earlyTermination.slackAmount", 0.1),
        "spec.earlyTermination.slackFactor",
    ),
    "bandit with no slack": (
        set_in("earlyTermination.slackFactor", DELETE),
        "spec.earlyTermination.slackFactor",
    ),
    "truncation percentage 0": (
        set_in("earlyTermination", {"type": "truncation_selection", "truncationPercentage": 0}),
        "spec.earlyTermination.truncationPercentage",
    ),
    "truncation percentage 100": (
        set_in("earlyTermination", {"type": "truncation_selection", "truncationPercentage": 100}),
        "spec.earlyTermination.truncationPercentage",
    ),
    "min above max": (
        set_in("searchSpace.C", {"type": "uniform", "minValue": 5, "maxValue": 1}),
        "spec.searchSpace.C.maxValue",
    ),
    "empty choice": (
        set_in("searchSpace.solver", {"type": "choice", "values": []}),
        "spec.searchSpace.solver.values",
    ),
    "unknown distribution": (
        set_in("searchSpace.C", {"type": "logarithmic", "minValue": 1, "maxValue": 2}),
        "spec.searchSpace.C.type",
    ),
    "unknown policy": (
        set_in("earlyTermination", {"type": "hyperband_ish"}),
        "spec.earlyTermination.type",
    ),
    "unknown field in spec": (set_in("maxTrials", 5), "spec.maxTrials"),
    "unknown field in a distribution": (set_in("searchSpace.C.q", 1), "spec.searchSpace.C.q"),
    "zero maxTotalTrials": (set_in("limits.maxTotalTrials", 0), "spec.limits.maxTotalTrials"),
    "negative maxTotalTrials": (
        set_in("limits.maxTotalTrials", -3),
        "spec.limits.maxTotalTrials",
    ),
    "unparsable timeout": (set_in("limits.timeout", "two hours"), "spec.limits.timeout"),
    "unparsable trialTimeout": (set_in("limits.trialTimeout", "5 min"), "spec.limits.trialTimeout"),
    "template without containers": (
        set_in("trial.template.spec.template.spec.containers", []),
        "spec.trial.template.spec.template.spec.containers",
    ),
    "container without image": (
        set_in("trial.template.spec.template.spec.containers", [{"name": "train"}]),
        "spec.trial.template.spec.template.spec.containers[0].image",
    ),
    "sigma zero": (
        set_in("searchSpace.noise", {"type": "normal", "mu": 0, "sigma": 0}),
        "spec.searchSpace.noise.sigma",
    ),
    "q negative": (
        set_in("searchSpace.width", {"type": "quniform", "minValue": 1, "maxValue": 9, "q": -1}),
        "spec.searchSpace.width.q",
    ),
    "randint upper 0": (set_in("searchSpace.seed.upper", 0), "spec.searchSpace.seed.upper"),
    "rule with grid": (
        lambda spec: (grid_with_uniform(spec), spec["samplingAlgorithm"].update(rule="sobol")),
        "spec.samplingAlgorithm.rule",
    ),
    "parameter name with a dash": (
        set_in("searchSpace.learning-rate", {"type": "uniform", "minValue": 0, "maxValue": 1}),
        "spec.searchSpace.learning-rate",
    ),
    "bad goal": (set_in("objective.goal", "maximise"), "spec.objective.goal"),
    "hyperband maxResource not above minResource": (
        set_in("earlyTermination", {"type": "hyperband", "minResource": 4, "maxResource": 4}),
        "spec.earlyTermination.maxResource",
    ),
    "asha maxResource not above minResource": (
        set_in("earlyTermination", {"type": "asha", "minResource": 9, "maxResource": 9}),
        "spec.earlyTermination.maxResource",
    ),
    "asha with a slack": (
        set_in("earlyTermination", {"type": "asha", "slackFactor": 0.1}),
        "spec.earlyTermination.slackFactor",
    ),
    "missing objective": (set_in("objective", DELETE), "spec.objective"),
}
"""Bad specs and the field each one must be reported at; the API server rejects each too."""


def bayesian_too_wide(spec: dict[str, Any]) -> None:
    spec["samplingAlgorithm"] = {"type": "bayesian"}
    spec.pop("earlyTermination")
    spec["searchSpace"].pop("noise")  # normal: not for bayesian
    # names: a choice of numbers is one ordered feature, however many values it lists
    names = [f"arch-{i}" for i in range(1000)]
    spec["searchSpace"]["arch"] = {"type": "choice", "values": names}
    spec["searchSpace"]["optimizer"] = {"type": "choice", "values": names[:30]}


OPERATOR_ONLY: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "bayesian with more choice values than its model takes": (
        bayesian_too_wide,
        "spec.searchSpace.arch.values",
    ),
    "choice without values": (
        set_in("searchSpace.solver", {"type": "choice"}),
        "spec.searchSpace.solver.values",
    ),
    "restartPolicy Always": (
        set_in("trial.template.spec.template.spec.restartPolicy", "Always"),
        "spec.trial.template.spec.template.spec.restartPolicy",
    ),
    "undefined search_space reference": (
        set_in(
            "trial.template.spec.template.spec.containers",
            [{"name": "t", "image": "i", "args": ["--lr", "${{search_space.lr}}"]}],
        ),
        "spec.trial.template.spec.template.spec.containers[0].args[1]",
    ),
    "an expression that is not search_space": (
        set_in(
            "trial.template.spec.template.spec.containers",
            [{"name": "t", "image": "i", "env": [{"name": "X", "value": "${{inputs.data}}"}]}],
        ),
        "spec.trial.template.spec.template.spec.containers[0].env[0].value",
    ),
}
"""Rules the CRD leaves to the operator: the template is a Job's, kept as written (the API
server rejects a Job that breaks them when the operator creates it, too late for the user),
and CEL cannot see choice values (a structural schema cannot type mixed scalars)."""


@pytest.mark.parametrize("case", sorted(BAD_SPECS))
def test_validate_and_the_api_server_both_reject(case: str) -> None:
    change, field = BAD_SPECS[case]
    document = mutate(change)
    reported = validate_document(document)
    assert any(p.path == field for p in reported), (field, [str(p) for p in reported])
    assert crd_schema.problems(SCHEMA, document), "the CRD schema accepted it"


@pytest.mark.parametrize("case", sorted(OPERATOR_ONLY))
def test_validate_rejects_what_only_the_operator_can_check(case: str) -> None:
    change, field = OPERATOR_ONLY[case]
    document = mutate(change)
    reported = validate_document(document)
    assert [p.path for p in reported] == [field]


GOOD_VARIATIONS: dict[str, Callable[[dict[str, Any]], None]] = {
    "no sampling algorithm": set_in("samplingAlgorithm", DELETE),
    "no early termination": set_in("earlyTermination", DELETE),
    "median stopping": set_in("earlyTermination", {"type": "median_stopping"}),
    "asha": set_in("earlyTermination", {"type": "asha", "minResource": 2, "reductionFactor": 2}),
    "asha with a budget": set_in("earlyTermination", {"type": "asha", "maxResource": 27}),
    "hyperband": set_in("earlyTermination", {"type": "hyperband", "maxResource": 27}),
    "duration strings": set_in("limits.timeout", "1h30m"),
    "every distribution": set_in(
        "searchSpace",
        {
            "a": {"type": "choice", "values": [1, 2.5, "x", True]},
            "b": {"type": "randint", "upper": 3},
            "c": {"type": "uniform", "minValue": 0, "maxValue": 1},
            "d": {"type": "quniform", "minValue": 0, "maxValue": 10, "q": 2},
            "e": {"type": "loguniform", "minValue": -3, "maxValue": 0},
            "f": {"type": "qloguniform", "minValue": 0, "maxValue": 3, "q": 1},
            "g": {"type": "normal", "mu": 0, "sigma": 1},
            "h": {"type": "qnormal", "mu": 0, "sigma": 1, "q": 0.5},
            "i": {"type": "lognormal", "mu": 0, "sigma": 1},
            "j": {"type": "qlognormal", "mu": 0, "sigma": 1, "q": 1},
        },
    ),
}


@pytest.mark.parametrize("case", sorted(GOOD_VARIATIONS))
def test_validate_and_the_api_server_both_accept(case: str) -> None:
    document = mutate(GOOD_VARIATIONS[case])
    if case == "every distribution":
        document["spec"]["trial"]["template"]["spec"]["template"]["spec"]["containers"][0][
            "args"
        ] = []
    assert validate_document(document) == []
    assert crd_schema.problems(SCHEMA, document) == []


EDITS: dict[str, tuple[Callable[[dict[str, Any]], None], bool]] = {
    # an edit of a SweepJob that exists: whether the API server lets it through
    "a parameter added": (set_in("searchSpace.extra", {"type": "randint", "upper": 4}), False),
    "a range changed": (set_in("searchSpace.C.maxValue", 3), False),
    "the goal": (set_in("objective.goal", "minimize"), False),
    "the sampler's seed": (set_in("samplingAlgorithm.seed", 8), False),
    "sampling removed (random by default)": (set_in("samplingAlgorithm", DELETE), False),
    "the policy removed": (set_in("earlyTermination", DELETE), False),
    "the policy's slack": (set_in("earlyTermination.slackFactor", 0.2), False),
    "more trials": (set_in("limits.maxTotalTrials", 80), True),
    "more at once": (set_in("limits.maxConcurrentTrials", 8), True),
    "another Prometheus": (set_in("metrics.prometheus.url", "http://prom:9090"), True),
    "another image": (
        lambda spec: spec["trial"]["template"]["spec"]["template"]["spec"]["containers"][0].update(
            image="trainer:2"
        ),
        True,
    ),
}


@pytest.mark.parametrize("case", sorted(EDITS))
def test_what_defines_the_trials_cannot_be_edited(case: str) -> None:
    change, allowed = EDITS[case]
    found = crd_schema.problems(SCHEMA, mutate(change), old=VALID_SWEEP)
    assert (found == []) is allowed, found
    if not allowed:
        assert len(found) == 1
        assert "cannot change once the SweepJob exists" in found[0]
        assert found[0].startswith("spec: ")
    assert crd_schema.problems(SCHEMA, mutate(change)) == []  # as a new SweepJob, fine


def test_crd_yaml_loads_as_two_crds() -> None:
    for text in render_crds().values():
        crd = yaml.safe_load(text)
        assert crd["kind"] == "CustomResourceDefinition"


def test_asha_and_hyperband_settings_reach_the_policy() -> None:
    budget = mutate(set_in("earlyTermination", {"type": "asha", "maxResource": 27}))
    asha = to_sweep_spec(SweepJob.model_validate(budget).spec).termination_policy()
    assert asha == AshaPolicy(1, 3, 0, max_resource=27)
    unbounded = mutate(set_in("earlyTermination", {"type": "asha", "minResource": 2}))
    assert to_sweep_spec(SweepJob.model_validate(unbounded).spec).termination_policy() == (
        AshaPolicy(2, 3, 0)
    )
    brackets = mutate(set_in("earlyTermination", {"type": "hyperband", "maxResource": 9}))
    hyperband = to_sweep_spec(SweepJob.model_validate(brackets).spec).termination_policy()
    assert hyperband == HyperbandPolicy(9, 1, 3)
