"""The CRDs, generated from the Pydantic models (the one source of truth).

``sweepjob_crd()`` and ``sweeptrial_crd()`` return CustomResourceDefinition manifests whose
``openAPIV3Schema`` is the models' JSON schema turned structural, as the API server wants it:

- ``$ref`` inlined, ``Optional[X]`` becomes ``X``, ``const`` becomes a one-value ``enum``, and
  ``exclusiveMinimum`` takes its OpenAPI v3.0 form, descriptions become one paragraph;
- a union discriminated by ``type`` becomes one object with every variant's properties,
  ``type`` as an enum, and CEL rules that say which fields each type requires and allows,
  with every variant's own rules guarded by its type;
- ``additionalProperties: false`` is dropped (a structural schema prunes unknown fields, and
  ``kubectl`` rejects them with strict field validation), as are titles and defaults (the
  models apply defaults when the operator reads a spec; a server-side default of one union
  variant's field would break the rules of the others).

``x-kubernetes-preserve-unknown-fields`` appears in the trial's JobTemplateSpec, kept as
written, and on single scalar values whose type may be string, number or boolean (choice
values, parameter values), which a structural schema cannot type otherwise. CEL cannot see
such fields, so no rule reads them: that a ``choice`` has ``values`` (and only a
``choice``) is checked by the models, in ``kubesweep validate`` and the operator.

``render_crds()`` gives the YAML checked in under ``crds/``; a test fails when it is stale.
"""

from __future__ import annotations

import copy
from typing import Any

import yaml
from pydantic import BaseModel

from kubesweep.api.models import API_GROUP, API_VERSION, SweepJob, SweepTrial

Schema = dict[str, Any]

_DROPPED_KEYS = {"title", "discriminator", "additionalProperties", "default"}


def _description(text: str) -> str:
    """A docstring as one paragraph of plain text, as ``kubectl explain`` shows it."""
    return " ".join(text.replace("``", "`").split())


def _resolve(node: Schema, defs: dict[str, Schema]) -> Schema:
    while "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        merged = {**copy.deepcopy(defs[name]), **{k: v for k, v in node.items() if k != "$ref"}}
        node = merged
    return node


def _structural(node: Schema, defs: dict[str, Schema]) -> Schema:
    """One node of a pydantic JSON schema, made structural for the API server."""
    node = _resolve(node, defs)
    for key in ("anyOf", "oneOf"):
        if key in node:
            branches = [_resolve(b, defs) for b in node[key] if b.get("type") != "null"]
            outer = {k: v for k, v in node.items() if k not in (key, "default", "discriminator")}
            if len(branches) == 1:
                return _structural({**branches[0], **outer}, defs)
            return _merge_variants(branches, outer, defs)

    out: Schema = {}
    for key, value in node.items():
        if key in _DROPPED_KEYS or key == "$defs":
            continue
        if key == "const":
            out["enum"] = [value]
        elif key == "exclusiveMinimum":
            out["minimum"] = value
            out["exclusiveMinimum"] = True
        elif key == "properties":
            out["properties"] = {name: _structural(sub, defs) for name, sub in value.items()}
        elif key == "items":
            out["items"] = _structural(value, defs)
        elif key == "description":
            out["description"] = _description(value)
        else:
            out[key] = copy.deepcopy(value)
    additional = node.get("additionalProperties")
    if isinstance(additional, dict):
        out["additionalProperties"] = _structural(additional, defs)
    return out


def _cel_visible(schema: Schema) -> bool:
    """Whether CEL can see a field: the API server leaves a field out of CEL's types when
    its schema (or its items') keeps unknown fields without declaring a type."""
    if schema.get("x-kubernetes-preserve-unknown-fields") and "type" not in schema:
        return False
    return "items" not in schema or _cel_visible(schema["items"])


def _merge_variants(branches: list[Schema], outer: Schema, defs: dict[str, Schema]) -> Schema:
    """A ``type``-discriminated union as one object with CEL rules per type."""
    variants = [(b["properties"]["type"]["const"], b) for b in branches]
    names = [name for name, _ in variants]
    properties: dict[str, Schema] = {
        "type": {"type": "string", "enum": names, "description": "One of: " + ", ".join(names)}
    }
    owners: dict[str, list[str]] = {}
    rules: list[dict[str, str]] = []
    for name, branch in variants:
        for field, sub in branch["properties"].items():
            if field == "type":
                continue
            properties.setdefault(field, _structural(sub, defs))
            owners.setdefault(field, []).append(name)
        for field in branch.get("required", []):
            if field != "type" and _cel_visible(properties[field]):
                rules.append(
                    {
                        "rule": f"self.type != '{name}' || has(self.{field})",
                        "message": f"type {name} requires {field}",
                    }
                )
        for rule in branch.get("x-kubernetes-validations", []):
            rules.append(
                {
                    "rule": f"self.type != '{name}' || ({rule['rule']})",
                    "message": f"type {name}: {rule['message']}",
                }
            )
    for field, types in owners.items():
        if len(types) < len(names) and _cel_visible(properties[field]):
            allowed = ", ".join(f"'{t}'" for t in types)
            rules.append(
                {
                    "rule": f"!has(self.{field}) || self.type in [{allowed}]",
                    "message": f"{field} applies only to type {' or '.join(types)}",
                }
            )
    merged: Schema = {
        "type": "object",
        "required": ["type"],
        "properties": properties,
        "x-kubernetes-validations": rules,
    }
    merged["description"] = _description(
        outer.get("description", f"Its type ({', '.join(names)}) decides which fields apply.")
    )
    return merged


def openapi_schema(model: type[BaseModel]) -> Schema:
    """The structural ``openAPIV3Schema`` of a top-level resource model."""
    raw = model.model_json_schema(by_alias=True)
    schema = _structural(raw, raw.get("$defs", {}))
    schema["properties"]["apiVersion"] = {"type": "string"}
    schema["properties"]["kind"] = {"type": "string"}
    schema["properties"]["metadata"] = {"type": "object"}
    schema["required"] = ["spec"]
    return schema


def _crd(
    model: type[BaseModel],
    kind: str,
    plural: str,
    short_names: list[str],
    columns: list[dict[str, Any]],
) -> dict[str, Any]:
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{API_GROUP}"},
        "spec": {
            "group": API_GROUP,
            "scope": "Namespaced",
            "names": {
                "kind": kind,
                "listKind": f"{kind}List",
                "plural": plural,
                "singular": kind.lower(),
                "shortNames": short_names,
                "categories": ["kubesweep"],
            },
            "versions": [
                {
                    "name": API_VERSION,
                    "served": True,
                    "storage": True,
                    "subresources": {"status": {}},
                    "additionalPrinterColumns": columns,
                    "schema": {"openAPIV3Schema": openapi_schema(model)},
                }
            ],
        },
    }


def sweepjob_crd() -> dict[str, Any]:
    return _crd(
        SweepJob,
        "SweepJob",
        "sweepjobs",
        ["sweep", "sj", "sweeps"],
        [
            {"name": "Phase", "type": "string", "jsonPath": ".status.phase"},
            {
                "name": "Done",
                "type": "integer",
                "description": "Trials in a final phase",
                "jsonPath": ".status.trials.completed",
            },
            {
                "name": "Total",
                "type": "integer",
                "description": "maxTotalTrials",
                "jsonPath": ".spec.limits.maxTotalTrials",
            },
            {
                "name": "Running",
                "type": "integer",
                "priority": 1,
                "jsonPath": ".status.trials.running",
            },
            {
                "name": "Best",
                "type": "number",
                "description": "Best value of the primary metric",
                "jsonPath": ".status.bestTrial.metric",
            },
            {
                "name": "Metric",
                "type": "string",
                "priority": 1,
                "jsonPath": ".spec.objective.primaryMetric",
            },
            {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
        ],
    )


def sweeptrial_crd() -> dict[str, Any]:
    return _crd(
        SweepTrial,
        "SweepTrial",
        "sweeptrials",
        ["strial"],
        [
            {"name": "Sweep", "type": "string", "jsonPath": ".spec.sweep"},
            {"name": "Index", "type": "integer", "jsonPath": ".spec.index"},
            {"name": "Phase", "type": "string", "jsonPath": ".status.phase"},
            {"name": "Best", "type": "number", "jsonPath": ".status.metric.best"},
            {"name": "Step", "type": "integer", "jsonPath": ".status.metric.bestStep"},
            {"name": "Reason", "type": "string", "priority": 1, "jsonPath": ".status.reason"},
            {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
        ],
    )


CRD_FILES = {
    "kubesweep.io_sweepjobs.yaml": sweepjob_crd,
    "kubesweep.io_sweeptrials.yaml": sweeptrial_crd,
}

_HEADER = "# Generated from kubesweep.api.models by `make crds`; do not edit.\n"


def render_crds() -> dict[str, str]:
    """File name -> YAML text of every CRD."""
    return {
        name: _HEADER + yaml.safe_dump(build(), sort_keys=False, width=100)
        for name, build in CRD_FILES.items()
    }
