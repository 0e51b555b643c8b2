"""The environment line of the benchmarks' reports (benchmarks/environment.py): torch's MKL
and CPU capability where torch is installed, nothing of torch where it is not."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from types import ModuleType, SimpleNamespace

import pytest

from tests.unit.conftest import load_benchmark


@pytest.fixture(scope="module")
def environment() -> Iterator[ModuleType]:
    yield from load_benchmark("environment")


def _fake_torch(config: str, capability: str) -> SimpleNamespace:
    return SimpleNamespace(
        __config__=SimpleNamespace(show=lambda: config),
        backends=SimpleNamespace(cpu=SimpleNamespace(get_cpu_capability=lambda: capability)),
    )


def test_the_line_names_torchs_mkl_its_branch_and_cpu_capability(
    environment: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = "  - Intel(R) oneAPI Math Kernel Library Version 2024.2-Product Build 20240605\n"
    monkeypatch.setitem(sys.modules, "torch", _fake_torch(config, "AVX2"))
    monkeypatch.delenv("MKL_CBWR", raising=False)
    line = environment.describe()
    assert "; torch's MKL 2024.2-Product, CPU capability AVX2; processor " in line
    monkeypatch.setenv("MKL_CBWR", "COMPATIBLE")
    assert "torch's MKL 2024.2-Product (MKL_CBWR=COMPATIBLE), CPU capability AVX2;" in (
        environment.describe()
    )
    # a torch built without MKL says so
    monkeypatch.setitem(sys.modules, "torch", _fake_torch("  - OpenMP 201511\n", "DEFAULT"))
    assert "torch's MKL absent (MKL_CBWR=COMPATIBLE), CPU capability DEFAULT;" in (
        environment.describe()
    )


def test_without_torch_the_line_says_nothing_of_it(
    environment: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delitem(sys.modules, "torch", raising=False)
    monkeypatch.setattr(environment.util, "find_spec", lambda name: None)
    line = environment.describe()
    assert "torch's MKL" not in line
    assert line.startswith("Environment: Python ")
    assert "; BLAS " in line
    assert line.endswith(".")
