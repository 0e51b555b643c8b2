"""Azure ML CLI v2 sweep jobs (``type: sweep``) translated into SweepJob manifests: pure.

Keys translate one by one (snake_case becomes camelCase; values stay), ``${{inputs.NAME}}``
in the command is replaced by the input's literal value, and the command is split into
arguments without a shell. What has no Kubernetes equivalent but does not change what a
trial computes (the environment, the compute target, the code folder, names and
descriptions) becomes a comment in the output. Anything else it cannot translate raises
``ConversionError`` naming the key: nothing is dropped silently.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kubesweep.api.models import GROUP_VERSION


class ConversionError(ValueError):
    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"{key}: {message}")
        self.key = key


@dataclass
class Conversion:
    manifest: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    """Comments for the output: what has no Kubernetes equivalent and where it went."""


_DISTRIBUTION_KEYS = {"type", "values", "upper", "min_value", "max_value", "q", "mu", "sigma"}
_POLICY_KEYS = {
    "type",
    "evaluation_interval",
    "delay_evaluation",
    "slack_factor",
    "slack_amount",
    "truncation_percentage",
    "exclude_finished_jobs",
}
_LIMIT_KEYS = {"max_total_trials", "max_concurrent_trials", "timeout", "trial_timeout"}
_INPUT = re.compile(r"\$\{\{\s*inputs\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_NAME = re.compile(r"[^a-z0-9-]+")


def camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(part.title() for part in rest)


def _translate(section: str, mapping: Any, allowed: set[str]) -> dict[str, Any]:
    if not isinstance(mapping, Mapping):
        raise ConversionError(section, f"expected a mapping, got {mapping!r}")
    translated = {}
    for key, value in mapping.items():
        if key not in allowed:
            raise ConversionError(
                f"{section}.{key}", f"has no SweepJob equivalent; known keys: {sorted(allowed)}"
            )
        translated[camel(key)] = value
    return translated


def _sampling(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        return {"type": value.lower()}
    translated = _translate("sampling_algorithm", value, {"type", "rule", "seed"})
    translated["type"] = str(translated.get("type", "")).lower()
    return translated


def _inputs(document: Mapping[str, Any]) -> dict[str, str]:
    literal: dict[str, str] = {}
    for name, value in (document.get("inputs") or {}).items():
        if isinstance(value, bool):
            literal[name] = "true" if value else "false"
        elif isinstance(value, int | float | str):
            literal[name] = str(value)
        elif isinstance(value, Mapping) and "value" in value and len(value) <= 2:
            literal[name] = str(value["value"])
        else:
            raise ConversionError(
                f"inputs.{name}",
                "is a data input with no Kubernetes equivalent; mount the data in the trial "
                "template (a volume) and pass its path as a literal input",
            )
    return literal


def _command(trial: Mapping[str, Any], inputs: Mapping[str, str]) -> list[str]:
    command = trial.get("command")
    if not isinstance(command, str) or not command.strip():
        raise ConversionError("trial.command", "is required: the command each trial runs")

    def replace(match: re.Match[str]) -> str:
        if match.group(1) not in inputs:
            raise ConversionError(
                "trial.command", f"refers to ${{{{inputs.{match.group(1)}}}}}, which inputs lacks"
            )
        return inputs[match.group(1)]

    try:
        return shlex.split(_INPUT.sub(replace, command))
    except ValueError as error:
        raise ConversionError("trial.command", f"cannot be split into arguments: {error}") from None


def _name(document: Mapping[str, Any], override: str | None) -> str:
    raw = (
        override
        or document.get("name")
        or document.get("display_name")
        or document.get("experiment_name")
    )
    if not raw:
        raise ConversionError("name", "is missing: give --name for the SweepJob")
    name = _NAME.sub("-", str(raw).lower()).strip("-")[:50].strip("-")
    if not name:
        raise ConversionError("name", f"{raw!r} has no letters or digits to name a SweepJob")
    return name


NOTED = {"$schema", "name", "display_name", "experiment_name", "description", "compute", "tags"}
TRIAL_NOTED = {"environment", "code", "resources", "distribution", "environment_variables"}


def convert(document: Any, *, image: str, gpus: int = 0, name: str | None = None) -> Conversion:
    """The SweepJob equivalent of an Azure ML sweep job YAML document."""
    if not isinstance(document, Mapping):
        raise ConversionError("<document>", "expected an Azure ML sweep job (a mapping)")
    if document.get("type") != "sweep":
        raise ConversionError("type", f"expected 'sweep', got {document.get('type')!r}")
    known = NOTED | {
        "type",
        "trial",
        "inputs",
        "search_space",
        "sampling_algorithm",
        "early_termination",
        "limits",
        "objective",
        "outputs",
    }
    for key in document:
        if key not in known:
            raise ConversionError(str(key), "has no SweepJob equivalent")
    notes: list[str] = []
    if document.get("outputs"):
        raise ConversionError("outputs", "has no SweepJob equivalent: write outputs from the trial")
    trial = document.get("trial")
    if not isinstance(trial, Mapping):
        raise ConversionError("trial", "is required: the command each trial runs")
    for key in trial:
        if key not in TRIAL_NOTED | {"command"}:
            raise ConversionError(f"trial.{key}", "has no SweepJob equivalent")
    env_vars = trial.get("environment_variables") or {}
    if "environment" in trial:
        notes.append(
            f"trial.environment {trial['environment']} has no Kubernetes equivalent: the "
            f"container image is {image}"
        )
    if "code" in trial:
        notes.append(f"trial.code {trial['code']}: the image must contain this code")
    if "resources" in trial or "distribution" in trial:
        raise ConversionError(
            "trial.resources" if "resources" in trial else "trial.distribution",
            "has no SweepJob equivalent; set resources in the generated template",
        )
    for key in ("$schema", "compute", "experiment_name", "display_name", "description"):
        if key in document:
            notes.append(f"{key}: {document[key]} (Azure ML only; kept as this comment)")

    search_space = {}
    for parameter, distribution in (document.get("search_space") or {}).items():
        entry = _translate(f"search_space.{parameter}", distribution, _DISTRIBUTION_KEYS)
        search_space[parameter] = entry
    objective = _translate("objective", document.get("objective") or {}, {"goal", "primary_metric"})
    if "goal" in objective:
        objective["goal"] = str(objective["goal"]).lower()
    container: dict[str, Any] = {
        "name": "trial",
        "image": image,
        "command": _command(trial, _inputs(document)),
    }
    if env_vars:
        container["env"] = [{"name": k, "value": str(v)} for k, v in env_vars.items()]
    if gpus:
        container["resources"] = {"limits": {"nvidia.com/gpu": gpus}}
    spec: dict[str, Any] = {
        "objective": objective,
        "searchSpace": search_space,
        "samplingAlgorithm": _sampling(document.get("sampling_algorithm", "random")),
    }
    if document.get("early_termination"):
        spec["earlyTermination"] = _translate(
            "early_termination", document["early_termination"], _POLICY_KEYS
        )
    spec["limits"] = _translate("limits", document.get("limits") or {}, _LIMIT_KEYS)
    spec["trial"] = {
        "template": {
            "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [container]}}}
        }
    }
    manifest: dict[str, Any] = {
        "apiVersion": GROUP_VERSION,
        "kind": "SweepJob",
        "metadata": {"name": _name(document, name)},
        "spec": spec,
    }
    if document.get("tags"):
        manifest["metadata"]["annotations"] = {
            f"kubesweep.io/azure-tag-{_NAME.sub('-', str(k).lower())}": str(v)
            for k, v in document["tags"].items()
        }
    return Conversion(manifest, notes)
