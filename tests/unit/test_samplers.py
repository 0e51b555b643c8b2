"""Samplers: one contract suite for every implementation, then each one's own behaviour."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kubesweep.domain.errors import SpecError
from kubesweep.domain.samplers import (
    BayesianSampler,
    GridSampler,
    RandomSampler,
    Sampler,
    SamplingConfig,
    SamplingRule,
    SamplingType,
    SobolSampler,
    make_sampler,
)
from kubesweep.domain.space import (
    Choice,
    LogNormal,
    LogUniform,
    Normal,
    QLogUniform,
    QNormal,
    QUniform,
    RandInt,
    SearchSpace,
    Uniform,
)
from kubesweep.domain.trials import TrialPhase, TrialRecord

MIXED = SearchSpace.of(
    {
        "lr": LogUniform(-9, -2),
        "width": QUniform(16, 256, 16),
        "seed": RandInt(100),
        "noise": Normal(0, 1),
        "solver": Choice(("adam", "sgd")),
    }
)
BAYESIAN_SPACE = SearchSpace.of(
    {"lr": Uniform(0.0001, 0.1), "width": QUniform(32, 512, 32), "act": Choice(("relu", "tanh"))}
)
GRID_SPACE = SearchSpace.of(
    {"opt": Choice(("adam", "sgd", "rmsprop")), "batch": Choice((32, 64)), "bn": Choice((True,))}
)

SamplerFactory = Callable[[int], tuple[Sampler, SearchSpace]]
FACTORIES: dict[str, SamplerFactory] = {
    "grid": lambda seed: (GridSampler(GRID_SPACE), GRID_SPACE),
    "random": lambda seed: (RandomSampler(MIXED, seed=seed), MIXED),
    "sobol": lambda seed: (SobolSampler(MIXED, seed=seed), MIXED),
    "bayesian": lambda seed: (BayesianSampler(BAYESIAN_SPACE, seed=seed), BAYESIAN_SPACE),
}


def history_of(sampler: Sampler, count: int) -> list[TrialRecord]:
    records = []
    for index in range(count):
        parameters = sampler.suggest(index, records)
        assert parameters is not None
        records.append(TrialRecord.of(index, parameters, TrialPhase.SUCCEEDED, [index * 0.1]))
    return records


@pytest.fixture(params=sorted(FACTORIES))
def factory(request: pytest.FixtureRequest) -> SamplerFactory:
    return FACTORIES[request.param]


class TestEverySampler:
    """The contract every sampler keeps."""

    def test_proposes_every_parameter_of_the_space_and_nothing_else(
        self, factory: SamplerFactory
    ) -> None:
        sampler, space = factory(1)
        for index in range(5):
            parameters = sampler.suggest(index, [])
            assert parameters is not None
            assert list(parameters) == list(space.names)

    def test_same_seed_and_history_repeat_exactly(self, factory: SamplerFactory) -> None:
        first, _ = factory(42)
        second, _ = factory(42)
        history = history_of(first, 4)
        assert [first.suggest(i, history) for i in range(6)] == [
            second.suggest(i, history) for i in range(6)
        ]

    def test_answer_for_an_index_does_not_depend_on_asking_order(
        self, factory: SamplerFactory
    ) -> None:
        sampler, _ = factory(3)
        forwards = [sampler.suggest(i, []) for i in range(6)]
        backwards = [sampler.suggest(i, []) for i in reversed(range(6))]
        assert forwards == list(reversed(backwards))

    def test_answer_does_not_depend_on_the_order_of_the_history(
        self, factory: SamplerFactory
    ) -> None:
        """The operator's history comes in the API server's order, by name (trial 10 before
        trial 2); the command line's by index. Both get the same answer to the last bit."""
        sampler, _ = factory(7)
        count = 12 if sampler.size is None else sampler.size
        history = history_of(sampler, count)
        history[3] = replace(history[3], phase=TrialPhase.FAILED, history=())
        for index in range(count - 3, count):  # running, no result yet: pending for a model
            history[index] = replace(history[index], phase=TrialPhase.RUNNING, history=())
        by_name = sorted(history, key=lambda record: f"sweep-{record.index}")
        for index in (0, count, count + 1):
            assert sampler.suggest(index, by_name) == sampler.suggest(index, history)

    def test_a_restarted_sampler_answers_as_before(self, factory: SamplerFactory) -> None:
        sampler, _ = factory(9)
        before = sampler.suggest(4, [])
        restarted, _ = factory(9)
        assert restarted.suggest(4, []) == before

    def test_values_come_from_the_distributions(self, factory: SamplerFactory) -> None:
        sampler, space = factory(5)
        for index in range(6):
            parameters = sampler.suggest(index, [])
            assert parameters is not None
            for name, distribution in space:
                if isinstance(distribution, Choice):
                    assert parameters[name] in distribution.values

    def test_size_is_none_or_the_number_of_proposals(self, factory: SamplerFactory) -> None:
        sampler, _ = factory(0)
        if sampler.size is None:
            assert sampler.suggest(10_000, []) is not None
        else:
            assert sampler.suggest(sampler.size - 1, []) is not None
            assert sampler.suggest(sampler.size, []) is None


@pytest.mark.parametrize("name", ["random", "sobol", "bayesian"])
def test_different_seeds_give_different_proposals(name: str) -> None:
    a, _ = FACTORIES[name](1)
    b, _ = FACTORIES[name](2)
    assert [a.suggest(i, []) for i in range(4)] != [b.suggest(i, []) for i in range(4)]


def test_grid_lists_every_combination_in_order_last_parameter_fastest() -> None:
    sampler = GridSampler(GRID_SPACE)
    assert sampler.size == 6
    proposals = [sampler.suggest(i, []) for i in range(7)]
    assert proposals == [
        {"opt": "adam", "batch": 32, "bn": True},
        {"opt": "adam", "batch": 64, "bn": True},
        {"opt": "sgd", "batch": 32, "bn": True},
        {"opt": "sgd", "batch": 64, "bn": True},
        {"opt": "rmsprop", "batch": 32, "bn": True},
        {"opt": "rmsprop", "batch": 64, "bn": True},
        None,
    ]


def test_grid_rejects_a_parameter_that_is_not_a_choice() -> None:
    with pytest.raises(SpecError) as caught:
        GridSampler(SearchSpace.of({"a": Choice((1, 2)), "lr": Uniform(0, 1)}))
    assert caught.value.field == "lr.type"
    assert "choice" in caught.value.message


@pytest.mark.parametrize("distribution", [Normal(0, 1), LogNormal(0, 1), QNormal(0, 1, 1)])
def test_bayesian_rejects_the_unbounded_types(distribution: object) -> None:
    with pytest.raises(SpecError) as caught:
        BayesianSampler(SearchSpace.of({"x": distribution}), seed=0)  # type: ignore[dict-item]
    assert caught.value.field == "x.type"
    assert "loguniform, qloguniform or randint" in caught.value.message


def test_bayesian_admits_log_and_integer_types_as_our_extension() -> None:
    space = SearchSpace.of(
        {"lr": LogUniform(-9, 0), "width": QLogUniform(2, 6, 8), "layers": RandInt(6)}
    )
    sampler = BayesianSampler(space, seed=0)
    history: list[TrialRecord] = []
    for index in range(sampler.initial_trials + 4):
        parameters = sampler.suggest(index, history)
        assert parameters is not None
        lr, width, layers = parameters["lr"], parameters["width"], parameters["layers"]
        assert isinstance(lr, float)
        assert math.exp(-9) <= lr <= 1.0
        assert isinstance(width, (int, float))
        assert width % 8 == 0
        assert 0 <= width <= math.exp(6) + 8
        assert layers in range(6)
        score = -abs(math.log(lr) + 4) - abs(float(layers) - 2)
        history.append(TrialRecord.of(index, parameters, TrialPhase.SUCCEEDED, [score]))
    # the model's suggestions (after the Sobol design) move towards lr = e^-4, layers = 2
    assert any(
        abs(math.log(float(r.parameters["lr"])) + 4) < 1.5  # type: ignore[arg-type]
        for r in history[sampler.initial_trials :]
    )


@settings(max_examples=20, deadline=None)
@given(k=st.integers(min_value=1, max_value=8), seed=st.integers(0, 2**32 - 1))
def test_first_power_of_two_sobol_points_are_balanced(k: int, seed: int) -> None:
    space = SearchSpace.of({f"x{i}": Uniform(0, 1) for i in range(4)})
    points = SobolSampler(space, seed=seed).unit_points(2**k)
    for dimension in range(points.shape[1]):
        slices = np.floor(points[:, dimension] * 2**k).astype(int)
        assert sorted(slices.tolist()) == list(range(2**k))


def test_sobol_point_by_index_matches_the_sequence() -> None:
    sampler = SobolSampler(MIXED, seed=4)
    sequence = sampler.unit_points(8)
    for index in range(8):
        np.testing.assert_allclose(sampler.unit_point(index), sequence[index])


def test_random_points_are_uniform_enough() -> None:
    sampler = RandomSampler(SearchSpace.of({"x": Uniform(0, 1)}), seed=0)
    values = [sampler.unit_point(i)[0] for i in range(2000)]
    counts = np.histogram(values, bins=10, range=(0, 1))[0]
    assert counts.min() > 150  # expected 200 per bin


def test_make_sampler_picks_the_implementation() -> None:
    config = SamplingConfig
    assert isinstance(make_sampler(config(SamplingType.GRID), GRID_SPACE), GridSampler)
    assert isinstance(make_sampler(config(SamplingType.RANDOM), MIXED), RandomSampler)
    assert isinstance(
        make_sampler(config(SamplingType.RANDOM, SamplingRule.SOBOL), MIXED), SobolSampler
    )
    assert isinstance(make_sampler(config(SamplingType.BAYESIAN), BAYESIAN_SPACE), BayesianSampler)
