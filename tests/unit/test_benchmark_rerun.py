"""Running some samplers again over saved runs (benchmarks/samplers.py --from-raw F
--samplers S): the runs made again replace the saved ones, and the report counts how many
differ, which is zero when the sampler did not change."""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType

import pytest

from tests.unit.conftest import load_benchmark


@pytest.fixture(scope="module")
def samplers() -> Iterator[ModuleType]:
    yield from load_benchmark("samplers")


SAVED = {
    ("branin", "bayesian", 1): [0.5, 0.25, 0.125],
    ("branin", "GP", 1): [0.4, 0.3, 0.2],
    ("branin", "bayesian", 16): [1.0, 2.0, 3.0],
}


def test_runs_made_again_replace_the_saved_ones_and_differences_are_counted(
    samplers: ModuleType,
) -> None:
    fresh = {
        ("branin", "bayesian", 1): [0.5, 0.2, 0.125],
        ("branin", "bayesian", 16): [1.0, 2.0, 3.0],
    }
    joined, differing, total = samplers.rerun_over(SAVED, fresh)
    assert joined == {**SAVED, ("branin", "bayesian", 1): [0.5, 0.2, 0.125]}
    assert (differing, total) == (1, 6)
    assert SAVED[("branin", "bayesian", 1)] == [0.5, 0.25, 0.125]  # the saved runs untouched


def test_the_same_runs_made_again_differ_in_none(samplers: ModuleType) -> None:
    fresh = {key: list(values) for key, values in SAVED.items() if key[1] == "bayesian"}
    assert samplers.rerun_over(SAVED, fresh)[1:] == (0, 6)


def test_runs_that_were_not_saved_or_have_other_seeds_are_refused(samplers: ModuleType) -> None:
    with pytest.raises(ValueError, match="not in the saved ones"):
        samplers.rerun_over(SAVED, {("levy4", "bayesian", 1): [0.1, 0.2, 0.3]})
    with pytest.raises(ValueError, match="2 seeds made again, 3 saved"):
        samplers.rerun_over(SAVED, {("branin", "bayesian", 1): [0.5, 0.25]})
