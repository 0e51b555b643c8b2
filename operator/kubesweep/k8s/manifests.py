"""Pure builders: the SweepTrial and the Job of one trial, as plain dicts.

The Job is the SweepJob's template, kept as written, plus what kubesweep needs:
``${{search_space.NAME}}`` substituted in each container's command, args and env values (one
string at a time, never through a shell); the environment variables ``KUBESWEEP_SWEEP``,
``KUBESWEEP_TRIAL``, ``KUBESWEEP_PARAMETERS`` (JSON), ``KUBESWEEP_PARAM_<NAME>``, and those
the trial library reads; the labels ``kubesweep.io/sweep`` and ``kubesweep.io/trial``; the
Prometheus scrape annotations; ``activeDeadlineSeconds`` from ``trialTimeout``; and
``backoffLimit: 0`` unless the template asks for retries. Resource requests and limits (GPUs
included) are the template's.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import Any

from kubesweep.api.models import GROUP_VERSION
from kubesweep.domain.space import ParameterValue
from kubesweep.domain.templating import format_value, substitute

SWEEP_LABEL = "kubesweep.io/sweep"
TRIAL_LABEL = "kubesweep.io/trial"
INDEX_ANNOTATION = "kubesweep.io/trial-index"
METRICS_PORT = 9464
METRICS_PATH = "/metrics"


def trial_name(sweep: str, index: int) -> str:
    """Trial names are deterministic, so a restart never duplicates a trial."""
    return f"{sweep}-{index}"


def owner_reference(body: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": body["apiVersion"],
        "kind": body["kind"],
        "name": body["metadata"]["name"],
        "uid": body["metadata"]["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def build_sweep_trial(
    sweep: Mapping[str, Any], index: int, parameters: Mapping[str, ParameterValue]
) -> dict[str, Any]:
    name = sweep["metadata"]["name"]
    trial = trial_name(name, index)
    return {
        "apiVersion": GROUP_VERSION,
        "kind": "SweepTrial",
        "metadata": {
            "name": trial,
            "namespace": sweep["metadata"]["namespace"],
            "labels": {SWEEP_LABEL: name, TRIAL_LABEL: trial},
            "annotations": {INDEX_ANNOTATION: str(index)},
            "ownerReferences": [owner_reference(sweep)],
        },
        "spec": {"sweep": name, "index": index, "parameters": dict(parameters)},
    }


def _environment(
    sweep: Mapping[str, Any], trial: str, parameters: Mapping[str, ParameterValue]
) -> list[dict[str, Any]]:
    objective = sweep["spec"]["objective"]
    env: list[dict[str, Any]] = [
        {"name": "KUBESWEEP_SWEEP", "value": sweep["metadata"]["name"]},
        {"name": "KUBESWEEP_TRIAL", "value": trial},
        {"name": "KUBESWEEP_PARAMETERS", "value": json.dumps(dict(parameters), sort_keys=True)},
        {"name": "KUBESWEEP_PRIMARY_METRIC", "value": objective["primaryMetric"]},
        {"name": "KUBESWEEP_GOAL", "value": objective["goal"]},
        {"name": "KUBESWEEP_METRICS_PORT", "value": str(METRICS_PORT)},
        {"name": "KUBESWEEP_POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
        {
            "name": "KUBESWEEP_NAMESPACE",
            "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}},
        },
    ]
    env += [
        {"name": f"KUBESWEEP_PARAM_{name.upper()}", "value": format_value(value)}
        for name, value in parameters.items()
    ]
    return env


def _substituted(container: dict[str, Any], parameters: Mapping[str, ParameterValue]) -> None:
    for key in ("command", "args"):
        if container.get(key):
            container[key] = [substitute(str(text), parameters) for text in container[key]]
    for variable in container.get("env") or []:
        if isinstance(variable.get("value"), str):
            variable["value"] = substitute(variable["value"], parameters)


def build_trial_job(
    sweep: Mapping[str, Any],
    trial: Mapping[str, Any],
    parameters: Mapping[str, ParameterValue],
    trial_timeout: float | None,
) -> dict[str, Any]:
    """The Job of ``trial`` (a SweepTrial with its uid), owned by it."""
    name = trial["metadata"]["name"]
    sweep_name = sweep["metadata"]["name"]
    labels = {SWEEP_LABEL: sweep_name, TRIAL_LABEL: name}
    template = copy.deepcopy(sweep["spec"]["trial"]["template"])
    metadata = template.get("metadata") or {}
    spec = template["spec"]
    spec.setdefault("backoffLimit", 0)
    if trial_timeout is not None:
        spec["activeDeadlineSeconds"] = max(int(trial_timeout), 1)
    pod = spec["template"]
    pod_metadata = pod.setdefault("metadata", {})
    pod_metadata["labels"] = {**(pod_metadata.get("labels") or {}), **labels}
    pod_metadata["annotations"] = {
        **(pod_metadata.get("annotations") or {}),
        "prometheus.io/scrape": "true",
        "prometheus.io/port": str(METRICS_PORT),
        "prometheus.io/path": METRICS_PATH,
    }
    pod_spec = pod["spec"]
    pod_spec.setdefault("restartPolicy", "Never")
    extra_env = _environment(sweep, name, parameters)
    for group in ("initContainers", "containers"):
        for container in pod_spec.get(group) or []:
            _substituted(container, parameters)
            if group == "containers":
                container["env"] = [*(container.get("env") or []), *extra_env]
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            **metadata,
            "name": name,
            "namespace": trial["metadata"]["namespace"],
            "labels": {**(metadata.get("labels") or {}), **labels},
            "ownerReferences": [owner_reference(trial)],
        },
        "spec": spec,
    }
