"""The latency table (benchmarks/samplers.py): each figure is the median of its passes,
and each pass times samplers of seeds of its own, so that no pass finds a kernel fit the
one before it cached (a "refit" that would not be one)."""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType

import pytest

from tests.unit.conftest import load_benchmark


@pytest.fixture(scope="module")
def samplers() -> Iterator[ModuleType]:
    yield from load_benchmark("samplers")


def test_each_pass_has_seeds_of_its_own_and_the_figure_is_their_median(
    samplers: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[int, int]] = []

    def timed(observations: int, first_seed: int = 0) -> dict[str, float]:
        calls.append((observations, first_seed))
        return {"ours, refit": float(len(calls))}

    monkeypatch.setattr(samplers, "latency", timed)
    lines = samplers.latency_table((50, 200), passes=3)
    firsts = {first for _, first in calls}
    assert len(calls) == 6
    assert len(firsts) == 3
    # seeds first - 1 (the warm-up) to first + 4 (5 repeats): no two passes share one
    spans = [set(range(first - 1, first + 5)) for first in sorted(firsts)]
    assert all(a.isdisjoint(b) for i, a in enumerate(spans) for b in spans[i + 1 :])
    # passes in turn over the sizes: 50 got 1, 3, 5 and 200 got 2, 4, 6
    assert "| 50 | 3 |" in lines
    assert "| 200 | 4 |" in lines
