"""The benchmarks refuse seed counts and first seeds that would run nothing or fail later,
naming the option (benchmarks/samplers.py and benchmarks/pruners.py have parsers of their
own; the side-by-side scripts' shared one is tested with starts.py)."""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType

import pytest

from tests.unit.conftest import load_benchmark


@pytest.fixture(scope="module")
def samplers() -> Iterator[ModuleType]:
    yield from load_benchmark("samplers")


@pytest.fixture(scope="module")
def pruners() -> Iterator[ModuleType]:
    yield from load_benchmark("pruners")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--seeds", "0"], "--seeds must be 1 or more, not 0"),
        (["--seeds", "-2"], "--seeds must be 1 or more, not -2"),
        (["--first-seed", "-1"], "--first-seed must be 0 or more, not -1"),
    ],
)
def test_the_samplers_benchmark_refuses_no_seeds_or_a_negative_first_one(
    samplers: ModuleType,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    arguments: list[str],
    message: str,
) -> None:
    monkeypatch.setattr("sys.argv", ["samplers.py", *arguments])
    with pytest.raises(SystemExit):
        samplers._arguments()
    assert message in capsys.readouterr().err


def test_the_samplers_benchmark_takes_a_held_out_range(
    samplers: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.argv", ["samplers.py", "--seeds", "10", "--first-seed", "10"])
    chosen = samplers._arguments()
    assert (chosen.seeds, chosen.first_seed) == (10, 10)


def test_the_pruners_benchmark_refuses_no_seeds_before_it_runs_anything(
    pruners: ModuleType, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def never() -> None:
        raise AssertionError("the curves were loaded")

    monkeypatch.setattr(pruners, "load_curves", never)
    monkeypatch.setattr("sys.argv", ["pruners.py", "--seeds", "0"])
    with pytest.raises(SystemExit):
        pruners.main()
    assert "--seeds must be 1 or more, not 0" in capsys.readouterr().err
