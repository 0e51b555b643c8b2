"""Search-space distributions with Azure ML sweep semantics, as small value objects.

Each distribution maps a point ``u`` of the unit interval to a parameter value
(``from_unit``), so every sampler (grid, random, Sobol, model-based) works in the unit cube
and the distribution alone decides what a value means. Constructors reject bad bounds with
the field named. Pure: no I/O.

Semantics (Azure ML, hyperopt-style):

- ``choice(values)``: one of the listed values, each equally likely.
- ``randint(upper)``: an integer in ``[0, upper)``.
- ``uniform(minValue, maxValue)``: a float, uniform in ``[minValue, maxValue]``.
- ``quniform(minValue, maxValue, q)``: ``round(uniform(minValue, maxValue) / q) * q``.
- ``loguniform(minValue, maxValue)``: ``exp(uniform(minValue, maxValue))``; the bounds are
  natural-log exponents, so ``{-5, 5}`` spans ``e^-5 .. e^5``.
- ``qloguniform(minValue, maxValue, q)``: ``round(exp(uniform(minValue, maxValue)) / q) * q``.
- ``normal(mu, sigma)``, ``qnormal(mu, sigma, q)``: a normal value, quantised for ``q``.
- ``lognormal(mu, sigma)``, ``qlognormal(mu, sigma, q)``: ``exp(normal(mu, sigma))``,
  quantised for ``q``.

Quantised values are integers when ``q`` is a whole number (``q: 16`` gives ``48``, not
``48.0``), so they can be passed straight to a script that parses an integer; otherwise they
are rounded to the decimals of ``q`` (``q: 0.05`` gives ``0.35``, not ``0.35000000000000003``).
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import ClassVar, Protocol

from kubesweep.domain.errors import SpecError

ParameterValue = int | float | str | bool
Parameters = Mapping[str, ParameterValue]

NAME_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
"""Parameter names are identifiers: they appear in ``${{search_space.NAME}}`` and in the
environment variable ``KUBESWEEP_PARAM_<NAME>``."""

# Keeps inverse CDFs finite when a sampler hands over exactly 0 or 1.
_UNIT_EPSILON = 1e-12
_STANDARD_NORMAL = NormalDist()


class Distribution(Protocol):
    """What every distribution offers to samplers."""

    type_name: ClassVar[str]

    def from_unit(self, u: float) -> ParameterValue:
        """The value at the point ``u`` of ``[0, 1)``, by the inverse of the distribution."""
        ...

    def to_unit(self, value: ParameterValue) -> float:
        """Where ``value`` lies in ``[0, 1]``: the inverse of ``from_unit`` (the middle of
        its slice for discrete values), for model-based samplers."""
        ...


def _finite(field: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SpecError(field, f"must be a number, but got {value!r}")
    if not math.isfinite(value):
        raise SpecError(field, f"must be a finite number, but got {value!r}")
    return float(value)


def _positive(field: str, value: float) -> float:
    number = _finite(field, value)
    if number <= 0:
        raise SpecError(field, f"must be greater than 0, but got {value!r}")
    return number


def _ordered(min_value: float, max_value: float) -> tuple[float, float]:
    low = _finite("minValue", min_value)
    high = _finite("maxValue", max_value)
    if not low < high:
        raise SpecError(
            "maxValue",
            f"`minValue < maxValue` must hold, but got minValue={min_value!r}, "
            f"maxValue={max_value!r}",
        )
    return low, high


def _unit(u: float) -> float:
    return min(max(u, 0.0), 1.0)


def _clip(u: float) -> float:
    return min(max(u, _UNIT_EPSILON), 1.0 - _UNIT_EPSILON)


def _decimals(q: float) -> int:
    """How many decimals ``q`` is written with (0.05 -> 2), for rounding its multiples."""
    text = repr(float(q))
    if "e" in text:
        mantissa, exponent = text.split("e")
        digits = len(mantissa.split(".")[1]) if "." in mantissa else 0
        return max(digits - int(exponent), 0)
    return len(text.split(".")[1].rstrip("0"))


def quantize(value: float, q: float) -> int | float:
    """``round(value / q) * q``, as an ``int`` when ``q`` is a whole number."""
    multiple = round(value / q)
    if float(q).is_integer():
        return int(multiple * int(q))
    return round(multiple * q, _decimals(q))


@dataclass(frozen=True)
class Choice:
    """One of ``values``, each equally likely; the only type grid sampling accepts."""

    values: tuple[ParameterValue, ...]
    type_name: ClassVar[str] = "choice"

    def __post_init__(self) -> None:
        if not self.values:
            raise SpecError("values", "must list at least one value, but got []")
        for position, value in enumerate(self.values):
            if not isinstance(value, int | float | str | bool):
                raise SpecError(
                    f"values[{position}]",
                    f"must be a string, number or boolean, but got {value!r}",
                )
            if isinstance(value, float) and not math.isfinite(value):
                raise SpecError(f"values[{position}]", f"must be finite, but got {value!r}")

    def from_unit(self, u: float) -> ParameterValue:
        position = min(int(u * len(self.values)), len(self.values) - 1)
        return self.values[max(position, 0)]

    def to_unit(self, value: ParameterValue) -> float:
        for position, candidate in enumerate(self.values):
            if candidate == value and type(candidate) is type(value):
                return (position + 0.5) / len(self.values)
        return 0.5


@dataclass(frozen=True)
class RandInt:
    """An integer in ``[0, upper)``."""

    upper: int
    type_name: ClassVar[str] = "randint"

    def __post_init__(self) -> None:
        if isinstance(self.upper, bool) or not isinstance(self.upper, int) or self.upper < 1:
            raise SpecError("upper", f"must be an integer of at least 1, but got {self.upper!r}")

    def from_unit(self, u: float) -> ParameterValue:
        return min(max(int(u * self.upper), 0), self.upper - 1)

    def to_unit(self, value: ParameterValue) -> float:
        return _unit((float(value) + 0.5) / self.upper)


@dataclass(frozen=True)
class Uniform:
    """A float, uniform in ``[min_value, max_value]``."""

    min_value: float
    max_value: float
    type_name: ClassVar[str] = "uniform"

    def __post_init__(self) -> None:
        _ordered(self.min_value, self.max_value)

    def from_unit(self, u: float) -> ParameterValue:
        return self.min_value + min(max(u, 0.0), 1.0) * (self.max_value - self.min_value)

    def to_unit(self, value: ParameterValue) -> float:
        return _unit((float(value) - self.min_value) / (self.max_value - self.min_value))


@dataclass(frozen=True)
class QUniform:
    """``round(uniform(min_value, max_value) / q) * q``."""

    min_value: float
    max_value: float
    q: float
    type_name: ClassVar[str] = "quniform"

    def __post_init__(self) -> None:
        _ordered(self.min_value, self.max_value)
        _positive("q", self.q)

    def from_unit(self, u: float) -> ParameterValue:
        raw = self.min_value + min(max(u, 0.0), 1.0) * (self.max_value - self.min_value)
        return quantize(raw, self.q)

    def to_unit(self, value: ParameterValue) -> float:
        return _unit((float(value) - self.min_value) / (self.max_value - self.min_value))


@dataclass(frozen=True)
class LogUniform:
    """``exp(uniform(min_value, max_value))``: the bounds are natural-log exponents."""

    min_value: float
    max_value: float
    type_name: ClassVar[str] = "loguniform"

    def __post_init__(self) -> None:
        _ordered(self.min_value, self.max_value)

    def from_unit(self, u: float) -> ParameterValue:
        exponent = self.min_value + min(max(u, 0.0), 1.0) * (self.max_value - self.min_value)
        return math.exp(exponent)

    def to_unit(self, value: ParameterValue) -> float:
        exponent = math.log(max(float(value), 1e-300))
        return _unit((exponent - self.min_value) / (self.max_value - self.min_value))


@dataclass(frozen=True)
class QLogUniform:
    """``round(exp(uniform(min_value, max_value)) / q) * q``."""

    min_value: float
    max_value: float
    q: float
    type_name: ClassVar[str] = "qloguniform"

    def __post_init__(self) -> None:
        _ordered(self.min_value, self.max_value)
        _positive("q", self.q)

    def from_unit(self, u: float) -> ParameterValue:
        exponent = self.min_value + min(max(u, 0.0), 1.0) * (self.max_value - self.min_value)
        return quantize(math.exp(exponent), self.q)

    def to_unit(self, value: ParameterValue) -> float:
        exponent = math.log(max(float(value), 1e-300))
        return _unit((exponent - self.min_value) / (self.max_value - self.min_value))


@dataclass(frozen=True)
class Normal:
    """A normal value with mean ``mu`` and standard deviation ``sigma``."""

    mu: float
    sigma: float
    type_name: ClassVar[str] = "normal"

    def __post_init__(self) -> None:
        _finite("mu", self.mu)
        _positive("sigma", self.sigma)

    def from_unit(self, u: float) -> ParameterValue:
        return self.mu + self.sigma * _STANDARD_NORMAL.inv_cdf(_clip(u))

    def to_unit(self, value: ParameterValue) -> float:
        return _STANDARD_NORMAL.cdf((float(value) - self.mu) / self.sigma)


@dataclass(frozen=True)
class QNormal:
    """``round(normal(mu, sigma) / q) * q``."""

    mu: float
    sigma: float
    q: float
    type_name: ClassVar[str] = "qnormal"

    def __post_init__(self) -> None:
        _finite("mu", self.mu)
        _positive("sigma", self.sigma)
        _positive("q", self.q)

    def from_unit(self, u: float) -> ParameterValue:
        return quantize(self.mu + self.sigma * _STANDARD_NORMAL.inv_cdf(_clip(u)), self.q)

    def to_unit(self, value: ParameterValue) -> float:
        return _STANDARD_NORMAL.cdf((float(value) - self.mu) / self.sigma)


@dataclass(frozen=True)
class LogNormal:
    """``exp(normal(mu, sigma))``: always positive."""

    mu: float
    sigma: float
    type_name: ClassVar[str] = "lognormal"

    def __post_init__(self) -> None:
        _finite("mu", self.mu)
        _positive("sigma", self.sigma)

    def from_unit(self, u: float) -> ParameterValue:
        return math.exp(self.mu + self.sigma * _STANDARD_NORMAL.inv_cdf(_clip(u)))

    def to_unit(self, value: ParameterValue) -> float:
        if float(value) <= 0:
            return 0.0
        return _STANDARD_NORMAL.cdf((math.log(float(value)) - self.mu) / self.sigma)


@dataclass(frozen=True)
class QLogNormal:
    """``round(exp(normal(mu, sigma)) / q) * q``."""

    mu: float
    sigma: float
    q: float
    type_name: ClassVar[str] = "qlognormal"

    def __post_init__(self) -> None:
        _finite("mu", self.mu)
        _positive("sigma", self.sigma)
        _positive("q", self.q)

    def from_unit(self, u: float) -> ParameterValue:
        value = math.exp(self.mu + self.sigma * _STANDARD_NORMAL.inv_cdf(_clip(u)))
        return quantize(value, self.q)

    def to_unit(self, value: ParameterValue) -> float:
        if float(value) <= 0:
            return 0.0
        return _STANDARD_NORMAL.cdf((math.log(float(value)) - self.mu) / self.sigma)


DISTRIBUTION_TYPES: tuple[type[Distribution], ...] = (
    Choice,
    RandInt,
    Uniform,
    QUniform,
    LogUniform,
    QLogUniform,
    Normal,
    QNormal,
    LogNormal,
    QLogNormal,
)
"""Every distribution, in the order Azure ML documents them."""


@dataclass(frozen=True)
class SearchSpace:
    """Named distributions, in the order the SweepJob lists them."""

    parameters: tuple[tuple[str, Distribution], ...]

    def __post_init__(self) -> None:
        if not self.parameters:
            raise SpecError("", "must define at least one parameter")
        seen: set[str] = set()
        for name, _ in self.parameters:
            if not NAME_PATTERN.match(name):
                raise SpecError(
                    name,
                    f"parameter name {name!r} must be an identifier (letters, digits and _, "
                    "not starting with a digit), because it is used in "
                    "${{search_space.NAME}} and in KUBESWEEP_PARAM_<NAME>",
                )
            if name in seen:
                raise SpecError(name, f"parameter {name!r} is defined twice")
            seen.add(name)

    @classmethod
    def of(cls, parameters: Mapping[str, Distribution]) -> SearchSpace:
        return cls(tuple(parameters.items()))

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.parameters)

    @property
    def dimensions(self) -> int:
        return len(self.parameters)

    def __iter__(self) -> Iterator[tuple[str, Distribution]]:
        return iter(self.parameters)

    def from_unit(self, point: Sequence[float]) -> dict[str, ParameterValue]:
        """The parameter set at a point of the unit cube (one coordinate per parameter)."""
        if len(point) != self.dimensions:
            raise ValueError(f"expected {self.dimensions} coordinates, got {len(point)}")
        return {name: dist.from_unit(float(u)) for (name, dist), u in zip(self, point, strict=True)}

    def to_unit(self, parameters: Parameters) -> list[float]:
        """The point of the unit cube of a parameter set (the inverse of ``from_unit``)."""
        return [dist.to_unit(parameters[name]) for name, dist in self]


_LARGEST_EXPONENT = math.log(sys.float_info.max)


def value_count(distribution: Distribution) -> int | None:
    """How many values ``distribution`` takes at most, if finitely many (choice, randint,
    quniform, qloguniform); None otherwise."""
    if isinstance(distribution, Choice):
        return len(distribution.values)
    if isinstance(distribution, RandInt):
        return distribution.upper
    if isinstance(distribution, QUniform | QLogUniform):
        low, high = distribution.min_value, distribution.max_value
        if isinstance(distribution, QLogUniform):
            if high > _LARGEST_EXPONENT:
                return None
            low, high = math.exp(low), math.exp(high)
        steps = high / distribution.q
        if not math.isfinite(steps):
            return None
        # from_unit rounds each value to a multiple of q: those between the bounds'
        return round(steps) - round(low / distribution.q) + 1
    return None


def configurations(space: SearchSpace) -> int | None:
    """How many configurations the space has at most, if each parameter takes finitely many
    values (choice, randint, quniform, qloguniform); None otherwise."""
    count = 1
    for _, distribution in space:
        values = value_count(distribution)
        if values is None:
            return None
        count *= values
    return count
