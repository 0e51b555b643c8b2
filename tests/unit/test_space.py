"""Distributions: bounds rejected with the field named, values in their support."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kubesweep.domain.errors import SpecError
from kubesweep.domain.space import (
    Choice,
    LogNormal,
    LogUniform,
    Normal,
    QLogNormal,
    QLogUniform,
    QNormal,
    QUniform,
    RandInt,
    SearchSpace,
    Uniform,
    quantize,
)

units = st.floats(min_value=0.0, max_value=1.0, exclude_max=True)
bounds = st.tuples(
    st.floats(min_value=-20, max_value=20), st.floats(min_value=0.001, max_value=20)
).map(lambda t: (t[0], t[0] + t[1]))
steps = st.sampled_from([0.05, 0.1, 0.25, 0.5, 1, 2, 16, 0.001])


def is_multiple(value: float, q: float) -> bool:
    ratio = value / q
    return math.isclose(ratio, round(ratio), abs_tol=1e-6)


@given(values=st.lists(st.integers() | st.text(max_size=5) | st.booleans(), min_size=1), u=units)
def test_choice_returns_one_of_its_values(values: list[object], u: float) -> None:
    choice = Choice(tuple(values))  # type: ignore[arg-type]
    assert choice.from_unit(u) in values


def test_choice_covers_each_value_equally() -> None:
    choice = Choice(("a", "b", "c", "d"))
    picks = [choice.from_unit((i + 0.5) / 400) for i in range(400)]
    assert {v: picks.count(v) for v in "abcd"} == {"a": 100, "b": 100, "c": 100, "d": 100}


@given(upper=st.integers(min_value=1, max_value=10_000), u=units)
def test_randint_is_in_zero_to_upper(upper: int, u: float) -> None:
    value = RandInt(upper).from_unit(u)
    assert isinstance(value, int)
    assert 0 <= value < upper


@given(b=bounds, u=units)
def test_uniform_stays_in_bounds(b: tuple[float, float], u: float) -> None:
    value = Uniform(*b).from_unit(u)
    assert b[0] <= value <= b[1]


@given(b=bounds, q=steps, u=units)
def test_quniform_lands_on_multiples_of_q_within_rounded_bounds(
    b: tuple[float, float], q: float, u: float
) -> None:
    value = QUniform(b[0], b[1], q).from_unit(u)
    assert is_multiple(float(value), q)
    assert quantize(b[0], q) - 1e-9 <= value <= quantize(b[1], q) + 1e-9


@given(b=bounds, u=units)
def test_loguniform_bounds_are_natural_log_exponents(b: tuple[float, float], u: float) -> None:
    value = LogUniform(*b).from_unit(u)
    assert math.exp(b[0]) * (1 - 1e-9) <= value <= math.exp(b[1]) * (1 + 1e-9)


@given(
    b=st.tuples(st.floats(-5, 5), st.floats(0.01, 5)).map(lambda t: (t[0], t[0] + t[1])),
    q=steps,
    u=units,
)
def test_qloguniform_lands_on_multiples_of_q(b: tuple[float, float], q: float, u: float) -> None:
    value = QLogUniform(b[0], b[1], q).from_unit(u)
    assert is_multiple(float(value), q)
    assert value >= 0
    assert quantize(math.exp(b[0]), q) - 1e-9 <= value <= quantize(math.exp(b[1]), q) + 1e-9


@given(mu=st.floats(-100, 100), sigma=st.floats(0.001, 100), u=units)
def test_normal_is_finite_and_monotone_in_u(mu: float, sigma: float, u: float) -> None:
    dist = Normal(mu, sigma)
    value = dist.from_unit(u)
    assert math.isfinite(value)
    assert dist.from_unit(u + (1 - u) / 2) >= value


@given(mu=st.floats(-100, 100), sigma=st.floats(0.001, 100), q=steps, u=units)
def test_qnormal_lands_on_multiples_of_q(mu: float, sigma: float, q: float, u: float) -> None:
    assert is_multiple(float(QNormal(mu, sigma, q).from_unit(u)), q)


@given(mu=st.floats(-5, 5), sigma=st.floats(0.001, 3), u=units)
def test_lognormal_is_positive(mu: float, sigma: float, u: float) -> None:
    assert LogNormal(mu, sigma).from_unit(u) > 0


@given(mu=st.floats(-5, 5), sigma=st.floats(0.001, 3), q=steps, u=units)
def test_qlognormal_lands_on_non_negative_multiples_of_q(
    mu: float, sigma: float, q: float, u: float
) -> None:
    value = QLogNormal(mu, sigma, q).from_unit(u)
    assert value >= 0
    assert is_multiple(float(value), q)


def test_normal_median_is_mu() -> None:
    assert Normal(3.0, 2.0).from_unit(0.5) == pytest.approx(3.0)
    assert LogNormal(0.0, 1.0).from_unit(0.5) == pytest.approx(1.0)


def test_whole_q_gives_integers_and_decimal_q_gives_clean_decimals() -> None:
    assert QUniform(16, 256, 16).from_unit(0.25) == 80  # 76 rounds to 5 * 16
    assert isinstance(QUniform(16, 256, 16).from_unit(0.5), int)
    assert quantize(0.349, 0.05) == 0.35
    assert quantize(0.3, 0.1) == 0.3
    assert quantize(1.23456, 0.001) == 1.235


@pytest.mark.parametrize(
    ("build", "field", "fragment"),
    [
        (lambda: Uniform(5, 1), "maxValue", "`minValue < maxValue` must hold"),
        (lambda: LogUniform(1, 1), "maxValue", "minValue=1, maxValue=1"),
        (lambda: QUniform(0, 1, 0), "q", "greater than 0"),
        (lambda: QLogUniform(0, 1, -1), "q", "greater than 0"),
        (lambda: Normal(0, 0), "sigma", "greater than 0"),
        (lambda: QNormal(0, 1, 0), "q", "greater than 0"),
        (lambda: LogNormal(0, -1), "sigma", "greater than 0"),
        (lambda: QLogNormal(math.inf, 1, 1), "mu", "finite"),
        (lambda: RandInt(0), "upper", "at least 1"),
        (lambda: Choice(()), "values", "at least one value"),
        (lambda: Choice(({"a": 1},)), "values[0]", "string, number or boolean"),  # type: ignore[arg-type]
        (lambda: Uniform(math.nan, 1), "minValue", "finite"),
    ],
)
def test_bad_bounds_are_rejected_with_the_field_named(
    build: object, field: str, fragment: str
) -> None:
    with pytest.raises(SpecError) as caught:
        build()  # type: ignore[operator]
    assert caught.value.field == field
    assert fragment in caught.value.message


def test_search_space_rejects_names_that_are_not_identifiers() -> None:
    with pytest.raises(SpecError, match="must be an identifier"):
        SearchSpace.of({"learning-rate": Uniform(0, 1)})
    with pytest.raises(SpecError, match="at least one parameter"):
        SearchSpace(())


def test_search_space_maps_a_unit_point_in_order() -> None:
    space = SearchSpace.of({"a": Uniform(0, 10), "b": Choice(("x", "y"))})
    assert space.from_unit([0.5, 0.9]) == {"a": 5.0, "b": "y"}
    with pytest.raises(ValueError, match="expected 2 coordinates"):
        space.from_unit([0.5])
