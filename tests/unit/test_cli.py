"""The offline command line: exact output formats and exit codes of DESIGN.md."""

from __future__ import annotations

import copy
import io
import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from kubesweep.cli import main
from tests.unit.conftest import EXAMPLES, ROOT, VALID_SWEEP


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


def write(tmp_path: Path, document: Any, name: str = "sweep.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(document) if not isinstance(document, str) else document)
    return path


def test_validate_accepts_every_example() -> None:
    code, out = run("validate", *map(str, EXAMPLES))
    assert (code, out) == (0, "")


def test_validate_prints_one_line_per_problem_with_the_file_and_field(tmp_path: Path) -> None:
    document = copy.deepcopy(VALID_SWEEP)
    document["spec"]["searchSpace"]["C"] = {"type": "uniform", "minValue": 5, "maxValue": 1}
    document["spec"]["earlyTermination"]["slackAmount"] = 0.2
    path = write(tmp_path, document)
    code, out = run("validate", str(path))
    assert code == 1
    assert out.splitlines() == [
        f"{path}: spec.searchSpace.C.maxValue: `minValue < maxValue` must hold, but got "
        "minValue=5.0, maxValue=1.0",
        f"{path}: spec.earlyTermination.slackFactor: a bandit policy needs exactly one of "
        "slackFactor or slackAmount, but got both",
    ]


def test_validate_reports_all_files_and_fails_if_any_is_bad(tmp_path: Path) -> None:
    good = write(tmp_path, VALID_SWEEP, "good.yaml")
    document = copy.deepcopy(VALID_SWEEP)
    document["spec"]["limits"]["maxTotalTrials"] = 0
    bad = write(tmp_path, document, "bad.yaml")
    code, out = run("validate", str(good), str(bad))
    assert code == 1
    assert out.splitlines() == [
        f"{bad}: spec.limits.maxTotalTrials: Input should be greater than or equal to 1, but got 0"
    ]


def test_validate_names_unreadable_and_unparsable_files(tmp_path: Path) -> None:
    broken = write(tmp_path, "spec: [unclosed", "broken.yaml")
    code, out = run("validate", str(broken), str(tmp_path / "missing.yaml"))
    assert code == 1
    first, second = out.splitlines()
    assert first.startswith(f"{broken}: not valid YAML")
    assert second.startswith(f"{tmp_path / 'missing.yaml'}: cannot read")


def test_validate_checks_every_document_of_a_file(tmp_path: Path) -> None:
    second = copy.deepcopy(VALID_SWEEP)
    second["spec"]["objective"]["goal"] = "up"
    path = tmp_path / "two.yaml"
    path.write_text(yaml.safe_dump_all([VALID_SWEEP, second]))
    code, out = run("validate", str(path))
    assert code == 1
    assert out.splitlines() == [
        f"{path}: spec.objective.goal: Input should be 'maximize' or 'minimize', but got 'up' "
        "(document 2)"
    ]


def test_validate_rejects_other_kinds(tmp_path: Path) -> None:
    path = write(tmp_path, {"apiVersion": "v1", "kind": "ConfigMap"})
    code, out = run("validate", str(path))
    assert code == 1
    assert "expected apiVersion kubesweep.io/v1alpha1 and kind SweepJob" in out


def test_validate_rejects_a_name_too_long_for_trial_labels(tmp_path: Path) -> None:
    document = copy.deepcopy(VALID_SWEEP)
    document["metadata"]["name"] = "a" * 61
    code, out = run("validate", str(write(tmp_path, document)))
    assert code == 1
    assert "metadata.name: " in out
    assert "use at most 60" in out


def test_sample_prints_one_json_object_per_line_and_repeats(tmp_path: Path) -> None:
    path = str(ROOT / "examples" / "random-bandit.yaml")
    code, out = run("sample", path, "-n", "5")
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == 5
    assert all(set(r) == {"learning_rate", "hidden", "alpha", "solver"} for r in rows)
    assert run("sample", path, "-n", "5") == (0, out)
    code, other = run("sample", path, "-n", "5", "--seed", "8")
    assert other != out
    code, prefix = run("sample", path, "-n", "3")
    assert out.startswith(prefix)


def test_sample_prints_at_most_the_size_of_a_grid() -> None:
    code, out = run("sample", str(ROOT / "examples" / "grid.yaml"), "-n", "50")
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == 12
    assert rows[:2] == [
        {"optimizer": "adam", "batch_size": 32},
        {"optimizer": "adam", "batch_size": 64},
    ]


def test_sample_refuses_an_invalid_sweep(tmp_path: Path) -> None:
    document = copy.deepcopy(VALID_SWEEP)
    document["spec"]["samplingAlgorithm"] = {"type": "grid"}
    code, out = run("sample", str(write(tmp_path, document)), "-n", "2")
    assert code == 1
    assert "spec.searchSpace.C.type: grid sampling needs every parameter" in out


def test_simulate_prints_the_documented_json(tmp_path: Path) -> None:
    module = tmp_path / "my_curves.py"
    module.write_text(
        textwrap.dedent(
            """
            def accuracy(parameters):
                quality = 1.0 if parameters["solver"] == "saga" else 0.5
                return [quality * step / 10 for step in range(1, 11)]
            """
        )
    )
    sys.path.insert(0, str(tmp_path))
    try:
        code, out = run(
            "simulate",
            str(write(tmp_path, VALID_SWEEP)),
            "--objective",
            "my_curves:accuracy",
        )
    finally:
        sys.path.remove(str(tmp_path))
    assert code == 0
    document = json.loads(out)
    assert set(document) >= {"trials", "bestTrial", "totalSteps"}
    assert len(document["trials"]) == 40
    for row in document["trials"]:
        assert set(row) >= {"index", "parameters", "steps", "status", "metric"}
        assert row["status"] in {"Succeeded", "EarlyTerminated", "Failed"}
    assert document["bestTrial"]["parameters"]["solver"] == "saga"
    assert document["bestTrial"]["metric"] == pytest.approx(1.0)
    assert document["totalSteps"] == sum(row["steps"] for row in document["trials"])
    stopped = [r for r in document["trials"] if r["status"] == "EarlyTerminated"]
    assert stopped
    assert all(r["parameters"]["solver"] == "lbfgs" for r in stopped)


def test_simulate_with_the_example_curves() -> None:
    code, out = run(
        "simulate",
        str(ROOT / "examples" / "sobol-median-stopping.yaml"),
        "--objective",
        "examples.curves:accuracy",
    )
    assert code == 0
    assert json.loads(out)["phase"] == "Succeeded"


def test_simulate_names_a_bad_objective_reference(tmp_path: Path) -> None:
    path = str(write(tmp_path, VALID_SWEEP))
    assert run("simulate", path, "--objective", "no_colon")[0] == 2
    code, out = run("simulate", path, "--objective", "no_such_module_xyz:f")
    assert code == 1
    assert "cannot import 'no_such_module_xyz'" in out


def test_crds_command_writes_the_checked_in_files(tmp_path: Path) -> None:
    assert run("crds", "--output", str(tmp_path))[0] == 0
    for path in tmp_path.iterdir():
        assert path.read_text() == (ROOT / "crds" / path.name).read_text()


def test_console_script_and_module_entry_point() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "kubesweep", "validate", str(EXAMPLES[0])],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == f"{EXAMPLES[0]}: valid"
