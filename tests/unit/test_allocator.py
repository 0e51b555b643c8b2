"""kubesweep.allocator: the process keeps the memory its arrays free, so the next ones come
without page faults; malloc settings of the environment's own stand; the command line
(and so the operator) sets it up first."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from typing import Any

import pytest

import kubesweep.cli
from kubesweep.allocator import malloc_set_by_environment

# Frees 8 MiB of blocks of 2 MiB at a time, 20 times over: with glibc's defaults the top
# of the heap goes back to the kernel each time (past twice the largest block freed), and
# comes back as pages faulted in anew.
CHILD = """
import json, resource
import numpy as np
from kubesweep.allocator import keep_freed_memory

kept = keep_freed_memory()

def churn():
    blocks = [np.ones(1 << 18) for _ in range(4)]
    del blocks

churn()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):
    churn()
after = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
print(json.dumps({"kept": kept, "faults": after - before}))
"""

GLIBC = platform.libc_ver()[0] == "glibc"


def child(**variables: str) -> dict[str, Any]:
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("MALLOC_") and name != "GLIBC_TUNABLES"
    }
    done = subprocess.run(
        [sys.executable, "-c", CHILD],
        env={**env, **variables},
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


@pytest.mark.skipif(not GLIBC, reason="the allocator's settings are glibc's; not glibc here")
def test_freed_memory_is_kept_and_the_environment_can_keep_glibc_defaults() -> None:
    kept = child()
    # a tunable at its default value: the environment sets malloc up, so glibc's defaults
    default = child(GLIBC_TUNABLES="glibc.malloc.tcache_count=7")
    assert kept["kept"] is True
    assert default["kept"] is False
    # 20 x 8 MiB is 40960 pages of 4 KiB (fewer with transparent huge pages)
    assert kept["faults"] * 10 < default["faults"], (kept, default)


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({}, False),
        ({"MALLOC_ARENA_MAX": "2"}, True),
        ({"MALLOC_TRIM_THRESHOLD_": "0"}, True),
        ({"GLIBC_TUNABLES": "glibc.malloc.trim_threshold=0"}, True),
        ({"GLIBC_TUNABLES": "glibc.rtld.nns=4"}, False),
    ],
)
def test_malloc_settings_of_the_environment_stand(
    monkeypatch: pytest.MonkeyPatch, variables: dict[str, str], expected: bool
) -> None:
    for name in list(os.environ):
        if name.startswith("MALLOC_") or name == "GLIBC_TUNABLES":
            monkeypatch.delenv(name)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    assert malloc_set_by_environment() is expected


def test_the_command_line_sets_the_allocator_up_first(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    monkeypatch.setattr(kubesweep.cli, "keep_freed_memory", lambda: calls.append("set") or True)
    with pytest.raises(SystemExit):
        kubesweep.cli.main(["--version"])
    assert calls == ["set"]
