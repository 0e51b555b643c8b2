"""benchmarks/scale.py --choices runs and prints its table (the figures in the README)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _rows(option: str, value: str) -> list[list[str]]:
    """The cells of the table rows ``scale.py option value`` prints for ``value``."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "scale.py"), option, value],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    rows = [line for line in done.stdout.splitlines() if line.startswith(f"| {value} |")]
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows]


def test_the_choices_table_has_both_sides_and_their_ratios() -> None:
    rows = _rows("--choices", "10")
    assert len(rows) == 1, rows
    cells = rows[0]
    assert cells[1] == "12"  # 10 indicators and two uniforms
    ms, mb, baseline_ms, baseline_mb, ratio_ms, ratio_mb = map(float, cells[2:])
    assert min(ms, mb, baseline_ms, baseline_mb) > 0
    assert abs(ratio_ms - ms / baseline_ms) < 0.01
    assert abs(ratio_mb - mb / baseline_mb) < 0.01


def test_the_first_step_table_has_the_baseline_and_every_configuration_distinct() -> None:
    cells = _rows("--first-step", "300")
    assert [c[1] for c in cells] == ["sobol", "bayesian", "bayesian, 15625 configurations"]
    assert cells[0][4] == "1.0"  # the baseline against itself
    assert all(int(c[3]) == 300 for c in cells)  # 300 trials, 300 configurations each
    assert all(float(c[2]) >= 0 for c in cells)
