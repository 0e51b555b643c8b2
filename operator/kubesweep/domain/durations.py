"""Durations as the SweepJob accepts them: whole seconds, or a string such as ``"2h"``.

A string is one or more ``<number><unit>`` parts with units ``s``, ``m``, ``h`` and ``d``
(``"90s"``, ``"1h30m"``, ``"1.5h"``), or a plain number of seconds (``"7200"``).
"""

from __future__ import annotations

import re

from kubesweep.domain.errors import SpecError

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_PART = re.compile(r"([0-9]+(?:[.][0-9]+)?)([smhd])")
DURATION_PATTERN = r"^([0-9]+([.][0-9]+)?[smhd])+$|^[0-9]+$"
"""The accepted string forms; also the CRD's CEL rule, so it keeps to RE2 without escapes."""


def parse_duration(value: int | float | str, field: str = "") -> float:
    """Seconds in ``value``; a SpecError naming ``field`` when it is not a positive duration."""
    seconds: float
    if isinstance(value, bool):
        raise SpecError(
            field, f"must be a number of seconds or a duration such as '2h', not {value!r}"
        )
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str) and re.fullmatch(DURATION_PATTERN, value):
        if value.isdigit():
            seconds = float(value)
        else:
            seconds = sum(float(n) * _UNITS[unit] for n, unit in _PART.findall(value))
    else:
        raise SpecError(
            field,
            f"cannot parse {value!r} as a duration: give whole seconds (7200) or a string of "
            "<number><unit> parts with units s, m, h, d ('90s', '1h30m', '2h')",
        )
    if not seconds > 0:
        raise SpecError(field, f"must be longer than 0 seconds, but got {value!r}")
    return seconds
