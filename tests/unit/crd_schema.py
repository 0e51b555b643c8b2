"""A test-only checker of objects against a CRD's openAPIV3Schema, CEL rules included.

It applies what the API server applies to a custom resource (types, enums, bounds,
patterns, required fields, unknown fields as strict field validation reports them) and
evaluates every ``x-kubernetes-validations`` rule with cel-python, so tests can show that
the API server and ``kubesweep validate`` reject the same specs. The real API server runs
the same CRDs in the testbed tests.
"""

from __future__ import annotations

import re
from typing import Any

import celpy

_ENV = celpy.Environment()
_PROGRAMS: dict[str, Any] = {}


def _program(rule: str) -> Any:
    if rule not in _PROGRAMS:
        _PROGRAMS[rule] = _ENV.program(_ENV.compile(rule))
    return _PROGRAMS[rule]


def _typed(value: Any, schema: dict[str, Any]) -> Any:
    """JSON as the API server hands it to CEL: integers in number fields become doubles."""
    if schema.get("type") == "number" and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties", {})
        return {k: _typed(v, properties.get(k, extra)) for k, v in value.items()}
    if isinstance(value, list):
        return [_typed(v, schema.get("items", {})) for v in value]
    return value


_TYPES = {
    "object": dict,
    "array": list,
    "string": str,
    "boolean": bool,
    "integer": int,
    "number": (int, float),
}


def _type_problem(schema: dict[str, Any], value: Any, where: str) -> str | None:
    if schema.get("x-kubernetes-int-or-string"):
        if isinstance(value, bool) or not isinstance(value, int | str):
            return f"{where}: must be an integer or a string"
    elif "type" in schema:
        kind = schema["type"]
        if (isinstance(value, bool) and kind != "boolean") or not isinstance(value, _TYPES[kind]):
            return f"{where}: must be of type {kind}"
    return None


def _scalar_problems(schema: dict[str, Any], value: Any, where: str) -> list[str]:
    found = []
    if "enum" in schema and value not in schema["enum"]:
        found.append(f"{where}: must be one of {schema['enum']}")
    if isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in schema:
            low = schema["minimum"]
            if value < low or (schema.get("exclusiveMinimum") and value == low):
                found.append(f"{where}: below minimum {low}")
        if "maximum" in schema and value > schema["maximum"]:
            found.append(f"{where}: above maximum {schema['maximum']}")
    if isinstance(value, str):
        if "pattern" in schema and not re.search(schema["pattern"], value):
            found.append(f"{where}: does not match {schema['pattern']}")
        if len(value) < schema.get("minLength", 0):
            found.append(f"{where}: shorter than {schema['minLength']}")
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            found.append(f"{where}: longer than {schema['maxLength']}")
    return found


def _list_problems(schema: dict[str, Any], value: list[Any], path: str, where: str) -> list[str]:
    found = []
    if len(value) < schema.get("minItems", 0):
        found.append(f"{where}: fewer than {schema['minItems']} items")
    if "maxItems" in schema and len(value) > schema["maxItems"]:
        found.append(f"{where}: more than {schema['maxItems']} items")
    for i, item in enumerate(value):
        found += problems(schema.get("items", {}), item, f"{path}[{i}]")
    return found


def _object_problems(
    schema: dict[str, Any], value: dict[str, Any], path: str, where: str, old: Any = None
) -> list[str]:
    found = []
    if len(value) < schema.get("minProperties", 0):
        found.append(f"{where}: fewer than {schema['minProperties']} properties")
    if "maxProperties" in schema and len(value) > schema["maxProperties"]:
        found.append(f"{where}: more than {schema['maxProperties']} properties")
    found += [
        f"{where}: {name} is required" for name in schema.get("required", []) if name not in value
    ]
    properties = schema.get("properties", {})
    for name, item in value.items():
        child = f"{path}.{name}" if path else name
        before = old.get(name) if isinstance(old, dict) else None
        if name in properties:
            found += problems(properties[name], item, child, before)
        elif "additionalProperties" in schema:
            found += problems(schema["additionalProperties"], item, child, before)
        elif not schema.get("x-kubernetes-preserve-unknown-fields"):
            found.append(f"{child}: unknown field")
    return found


def _cel_problems(schema: dict[str, Any], value: Any, where: str, old: Any) -> list[str]:
    found = []
    for rule in schema.get("x-kubernetes-validations", []):
        activation = {"self": celpy.json_to_cel(_typed(value, schema))}
        if "oldSelf" in rule["rule"]:
            if old is None:
                continue  # a transition rule: on an update only, as the API server does
            activation["oldSelf"] = celpy.json_to_cel(_typed(old, schema))
        try:
            result = _program(rule["rule"]).evaluate(activation)
        except celpy.CELEvalError as error:
            result = error
        if isinstance(result, celpy.CELEvalError):
            found.append(f"{where}: rule {rule['rule']!r} failed to evaluate: {result}")
        elif not result:
            found.append(f"{where}: {rule['message']}")
    return found


def problems(schema: dict[str, Any], value: Any, path: str = "", old: Any = None) -> list[str]:
    """What the API server would reject in ``value``, as ``path: reason`` lines; with
    ``old``, as an update of that object (transition rules, ``oldSelf``, apply; the old
    value follows object fields, not list items).

    CEL rules of a node are evaluated only when the node passed its schema, as the API
    server does not run them on values of the wrong shape.
    """
    where = path or "<root>"
    if path == "metadata":
        return []  # ObjectMeta: the API server's own schema applies
    wrong_type = _type_problem(schema, value, where)
    if wrong_type:
        return [wrong_type]
    found = _scalar_problems(schema, value, where)
    if isinstance(value, list):
        found += _list_problems(schema, value, path, where)
    if isinstance(value, dict):
        found += _object_problems(schema, value, path, where, old)
    return found or _cel_problems(schema, value, where, old)
