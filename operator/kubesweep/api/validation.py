"""Every rule a SweepJob must follow, applied without a cluster.

``validate_document`` checks one parsed manifest and returns its problems, each with the
path of the field (``spec.searchSpace.C.maxValue``) and a message that says what is wrong
and what would be valid. It applies, in order: the models (the same schema as the CRD:
types, enums, bounds, unknown fields), the pure core's rules (the same rules as the CRD's
CEL rules and more: bounds of every distribution, sampler and policy admission), and what
only the operator checks (``${{search_space.NAME}}`` references, names that fit in labels).
``kubesweep validate`` and the operator both call it, so a spec that passes here is not
rejected later.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from kubesweep.api.convert import spec_problems
from kubesweep.api.crd import openapi_schema
from kubesweep.api.models import GROUP_VERSION, VARIANTS, SweepJob
from kubesweep.domain.templating import find_references

MAX_LABEL_VALUE = 63
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


@dataclass(frozen=True)
class Problem:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


def _join(path: Sequence[str | int]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _fields_at(document: Any, path: Sequence[str | int]) -> list[str]:
    """The fields allowed in the object at ``path``: its variant's, for a typed union."""
    node: Any = document
    for part in path:
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            node = None
    if isinstance(node, dict) and isinstance(node.get("type"), str):
        variant = VARIANTS.get(node["type"])
        if variant is not None:
            return [field.alias or name for name, field in variant.model_fields.items()]
    schema: Mapping[str, Any] = openapi_schema(SweepJob)
    for part in path:
        if isinstance(part, int):
            schema = schema.get("items", {})
        elif part in schema.get("properties", {}):
            schema = schema["properties"][part]
        else:
            schema = schema.get("additionalProperties", {})
    return list(schema.get("properties", {}))


def _real_path(document: Any, loc: Sequence[str | int]) -> list[str | int]:
    """A pydantic error location as a path in the document.

    Pydantic adds the tag of a discriminated union (``uniform``) and the name of a union
    member (``int``) to locations; neither is a field of the document, so both are dropped.
    """
    path: list[str | int] = []
    node = document
    for position, part in enumerate(loc):
        last = position == len(loc) - 1
        if isinstance(node, dict):
            if part in node:
                node = node[part]
                path.append(part)
            elif node.get("type") == part and not last:
                continue
            else:
                path.append(part)
                node = None
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
            path.append(part)
        elif node is None:
            path.append(part)
        # Anything else is a union member's name under a scalar: not a field.
    return path


def _model_problems(document: Any, error: ValidationError) -> Iterator[Problem]:
    seen: set[tuple[str, str]] = set()
    for item in error.errors(include_url=False):
        path = _real_path(document, item["loc"])
        kind = item["type"]
        message = str(item["msg"])
        if kind == "missing":
            message = "is required"
        elif kind == "extra_forbidden":
            valid = _fields_at(document, path[:-1])
            message = f"unknown field; valid fields here: {', '.join(valid)}"
        elif kind == "union_tag_invalid":
            context = item.get("ctx", {})
            path.append("type")
            message = (
                f"unknown type {context.get('tag')!r}; valid types: {context.get('expected_tags')}"
            )
        elif kind == "value_error":
            message = message.removeprefix("Value error, ")
        else:
            message = f"{message}, but got {item.get('input')!r}"
        key = (_join(path), message)
        if key not in seen:
            seen.add(key)
            yield Problem(*key)


def _template_strings(template: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(path, text) of every string in which ``${{...}}`` is substituted."""
    pod = template.get("spec", {}).get("template", {}).get("spec", {})
    base = _POD_SPEC
    for group in ("initContainers", "containers"):
        for i, container in enumerate(pod.get(group) or []):
            if not isinstance(container, dict):
                continue
            where = f"{base}.{group}[{i}]"
            for key in ("command", "args"):
                for j, text in enumerate(container.get(key) or []):
                    if isinstance(text, str):
                        yield f"{where}.{key}[{j}]", text
            for j, variable in enumerate(container.get("env") or []):
                if isinstance(variable, dict) and isinstance(variable.get("value"), str):
                    yield f"{where}.env[{j}].value", variable["value"]


_POD_SPEC = "spec.trial.template.spec.template.spec"
_RESTART_POLICIES = ("Never", "OnFailure")


def _pod_shape_problems(template: Mapping[str, Any]) -> Iterator[Problem]:
    """What the API server would reject in the trial's pod template when the Job is made."""
    pod = template.get("spec", {}).get("template", {}).get("spec")
    if not isinstance(pod, dict):
        yield Problem(_POD_SPEC, "is required: the pod spec of the trial's Job")
        return
    containers = pod.get("containers")
    if not isinstance(containers, list) or not containers:
        yield Problem(f"{_POD_SPEC}.containers", "must list at least one container")
        return
    for i, container in enumerate(containers):
        where = f"{_POD_SPEC}.containers[{i}]"
        if not isinstance(container, dict):
            yield Problem(where, f"must be a container (a mapping), but got {container!r}")
            continue
        for key in ("name", "image"):
            if not isinstance(container.get(key), str) or not container.get(key):
                yield Problem(f"{where}.{key}", "is required")
    restart = pod.get("restartPolicy")
    if restart is not None and restart not in _RESTART_POLICIES:
        yield Problem(
            f"{_POD_SPEC}.restartPolicy",
            f"must be Never or OnFailure for a Job, but got {restart!r} (omitted: Never)",
        )


def _template_problems(sweep: SweepJob) -> Iterator[Problem]:
    yield from _pod_shape_problems(sweep.spec.trial.template)
    names = list(sweep.spec.search_space)
    for path, text in _template_strings(sweep.spec.trial.template):
        for reference in find_references(text):
            if reference.name is None:
                yield Problem(
                    path,
                    f"${{{{{reference.expression}}}}} is not substituted: only "
                    "${{search_space.NAME}} is, for a NAME in searchSpace",
                )
            elif reference.name not in names:
                yield Problem(
                    path,
                    f"${{{{search_space.{reference.name}}}}} refers to no parameter: "
                    f"searchSpace defines {', '.join(names)}",
                )


def _name_problems(sweep: SweepJob) -> Iterator[Problem]:
    name = sweep.metadata.name
    if not name:
        yield Problem("metadata.name", "is required")
        return
    if not _DNS_LABEL.match(name):
        yield Problem(
            "metadata.name",
            f"{name!r} must consist of lowercase letters, digits and '-', starting and ending "
            "with a letter or digit (an RFC 1123 label: trial Jobs and labels are named after it)",
        )
        return
    suffix = len(f"-{sweep.spec.limits.max_total_trials - 1}")
    if len(name) + suffix > MAX_LABEL_VALUE:
        yield Problem(
            "metadata.name",
            f"{name!r} has {len(name)} characters; trial names <name>-<index> must fit in "
            f"{MAX_LABEL_VALUE} characters (a label value), so with maxTotalTrials "
            f"{sweep.spec.limits.max_total_trials} use at most {MAX_LABEL_VALUE - suffix}",
        )


def validate_document(document: Any) -> list[Problem]:
    """Every problem of one SweepJob manifest (an empty list when it is valid)."""
    if not isinstance(document, dict):
        return [Problem("", f"expected a SweepJob manifest (a mapping), got {document!r}")]
    if document.get("apiVersion") != GROUP_VERSION or document.get("kind") != "SweepJob":
        return [
            Problem(
                "kind" if document.get("apiVersion") == GROUP_VERSION else "apiVersion",
                f"expected apiVersion {GROUP_VERSION} and kind SweepJob, but got "
                f"{document.get('apiVersion')!r} and {document.get('kind')!r}",
            )
        ]
    try:
        sweep = SweepJob.model_validate(document)
    except ValidationError as error:
        return list(_model_problems(document, error))
    problems = [Problem(e.field, e.message) for e in spec_problems(sweep.spec)]
    problems.extend(_template_problems(sweep))
    problems.extend(_name_problems(sweep))
    return problems
