"""benchmarks/scale.py --choices runs and prints its table (the figures in the README)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_choices_table_has_both_sides_and_their_ratios() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "scale.py"), "--choices", "10"],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    rows = [line for line in done.stdout.splitlines() if line.startswith("| 10 |")]
    assert len(rows) == 1, done.stdout
    cells = [cell.strip() for cell in rows[0].strip("|").split("|")]
    assert cells[1] == "12"  # 10 indicators and two uniforms
    ms, mb, baseline_ms, baseline_mb, ratio_ms, ratio_mb = map(float, cells[2:])
    assert min(ms, mb, baseline_ms, baseline_mb) > 0
    assert abs(ratio_ms - ms / baseline_ms) < 0.01
    assert abs(ratio_mb - mb / baseline_mb) < 0.01
