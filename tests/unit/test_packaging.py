"""``pip install .`` gives a working ``kubesweep``: the wheel holds the package and script."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from tests.unit.conftest import EXAMPLES, ROOT

RUN_CLI = (
    "import sys, kubesweep.cli; print(kubesweep.cli.__file__); "
    "sys.exit(kubesweep.cli.main(sys.argv[1:]))"
)


def test_wheel_installs_a_working_kubesweep(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("kubesweep-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "kubesweep/py.typed" in names
    assert "kubesweep/domain/planner.py" in names
    assert not any(name.startswith(("tests/", "examples/")) for name in names)
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    scripts = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "kubesweep = kubesweep.cli:main" in scripts
    assert "kubectl-sweep = kubesweep.cli:main" in scripts  # the kubectl plugin

    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            RUN_CLI,
            "validate",
            str(EXAMPLES[0]),
        ],
        env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().startswith(str(target))
