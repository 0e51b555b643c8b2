"""Generate charts/kubesweep/values.schema.json from values.yaml.

Types come from the defaults in values.yaml, with the overrides below where a default
cannot tell (enums, maps of strings, free-form Kubernetes objects). Every object is closed
(``additionalProperties: false``), so a misspelt key fails ``helm install``. Run
``make chart-schema``; a test fails when the checked-in schema is stale.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml

CHART = Path(__file__).resolve().parent.parent / "charts" / "kubesweep"
STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}
FREE_OBJECT = {"type": "object"}
OVERRIDES: dict[str, dict[str, Any]] = {
    "image.pullPolicy": {"type": "string", "enum": ["IfNotPresent", "Always", "Never"]},
    "imagePullSecrets": {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {"name": {"type": "string"}},
            "required": ["name"],
            "additionalProperties": False,
        },
    },
    "replicaCount": {"type": "integer", "minimum": 0},
    "watch.mode": {"type": "string", "enum": ["cluster", "namespaces"]},
    "watch.namespaces": {"type": "array", "items": {"type": "string", "minLength": 1}},
    "prometheus.url": {"type": "string", "pattern": "^https?://"},
    "serviceAccount.annotations": STRING_MAP,
    "metrics.port": {"type": "integer", "minimum": 1, "maximum": 65535},
    "metrics.serviceMonitor.labels": STRING_MAP,
    "trialPodMonitor.labels": STRING_MAP,
    "livenessPort": {"type": "integer", "minimum": 1, "maximum": 65535},
    "pollInterval": {"type": "number", "exclusiveMinimum": 0},
    "metricsGrace": {"type": "number", "minimum": 0},
    "resources": FREE_OBJECT,
    "nodeSelector": STRING_MAP,
    "tolerations": {"type": "array", "items": FREE_OBJECT},
    "affinity": FREE_OBJECT,
    "podLabels": STRING_MAP,
    "podAnnotations": STRING_MAP,
}


def schema_of(value: Any, path: str) -> dict[str, Any]:
    if path in OVERRIDES:
        return OVERRIDES[path]
    if isinstance(value, bool):
        return {"type": "boolean"}
    if isinstance(value, int):
        return {"type": "integer"}
    if isinstance(value, float):
        return {"type": "number"}
    if isinstance(value, str):
        return {"type": "string"}
    if isinstance(value, dict):
        return {
            "type": "object",
            "properties": {
                key: schema_of(item, f"{path}.{key}" if path else key)
                for key, item in value.items()
            },
            "additionalProperties": False,
        }
    raise SystemExit(f"values.yaml: {path}: add an override for {value!r} in {__file__}")


def generate() -> str:
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    schema = {"$schema": "http://json-schema.org/draft-07/schema#", **schema_of(values, "")}
    return json.dumps(schema, indent=2) + "\n"


if __name__ == "__main__":
    (CHART / "values.schema.json").write_text(generate())
    print(f"wrote {CHART / 'values.schema.json'}", file=sys.stderr)
