"""``${{search_space.NAME}}`` references in trial templates: finding and substituting them.

The syntax is Azure ML's. Whitespace inside the braces is allowed
(``${{ search_space.lr }}``). Any other ``${{...}}`` expression is reported, not passed
through, so a typo never reaches a training script as literal text. Values are formatted
so a script can parse them back: strings as they are, booleans as ``true``/``false``, numbers
in their shortest exact form (``0.001``, ``48``). Substitution works on one string at a time,
which becomes one argument or one environment value: nothing here builds a shell command.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from kubesweep.domain.space import ParameterValue

_EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
_SEARCH_SPACE = re.compile(r"^search_space\.([A-Za-z_][A-Za-z0-9_]*)$")


@dataclass(frozen=True)
class Reference:
    expression: str
    """What stands inside the braces, trimmed."""

    name: str | None
    """The parameter named, or None when the expression is not ``search_space.NAME``."""


def find_references(text: str) -> list[Reference]:
    """Every ``${{...}}`` expression in ``text``, in order."""
    found = []
    for match in _EXPRESSION.finditer(text):
        expression = match.group(1)
        name = _SEARCH_SPACE.match(expression)
        found.append(Reference(expression, name.group(1) if name else None))
    return found


def format_value(value: ParameterValue) -> str:
    """A parameter value as a script receives it in an argument or environment variable."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def substitute(text: str, parameters: Mapping[str, ParameterValue]) -> str:
    """``text`` with every ``${{search_space.NAME}}`` replaced by the value of NAME.

    Raises KeyError for an expression that is not a defined parameter (validation reports
    these before a trial is ever built).
    """

    def replace(match: re.Match[str]) -> str:
        name = _SEARCH_SPACE.match(match.group(1))
        if name is None or name.group(1) not in parameters:
            raise KeyError(match.group(1))
        return format_value(parameters[name.group(1)])

    return _EXPRESSION.sub(replace, text)
