"""Suggestion latency of our bayesian sampler by number of BLAS threads, side by side.

The operator image runs OpenBLAS on one thread (``OPENBLAS_NUM_THREADS=1`` in the
Dockerfile); this shows what that gains or costs against more threads on this machine
(OpenBLAS's own default is one thread per core). Each thread count runs in a process of
its own, as the setting is read when the library loads; the figures are
``samplers.latency``'s (median of 5 suggestions after a warm-up, 6 parameters).

    python benchmarks/threads.py                  # 1 thread against every core
    python benchmarks/threads.py --threads 1,2,4 --observations 200
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

KEYS = ("ours, refit", "ours, kernel reused")


def _child(observations: list[int]) -> None:
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import samplers  # after the environment is set

    timings = {n: samplers.latency(n) for n in observations}
    print(json.dumps({n: {k: t[k] for k in KEYS} for n, t in timings.items()}))


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--threads", default=f"1,{os.cpu_count() or 1}")
    parser.add_argument("--observations", default="200,1000")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    observations = [int(n) for n in args.observations.split(",")]
    if args.child:
        _child(observations)
        return 0
    counts = sorted({int(t) for t in args.threads.split(",")})
    results = {}
    for count in counts:
        env = {**os.environ, "OPENBLAS_NUM_THREADS": str(count), "OMP_NUM_THREADS": str(count)}
        done = subprocess.run(
            [sys.executable, __file__, "--child", "--observations", args.observations],
            env=env, check=True, capture_output=True, text=True,
        )  # fmt: skip
        results[count] = json.loads(done.stdout.strip().splitlines()[-1])
    base = counts[0]
    lines = [
        f"Suggestion latency, milliseconds, by BLAS threads (ratio to {base} thread"
        f"{'s' if base > 1 else ''}; {os.cpu_count()} cores here):",
        "",
        "| observations | suggestion | "
        + " | ".join(f"{c} thread{'s' if c > 1 else ''}" for c in counts)
        + " |",
        "|---|---|" + "---|" * len(counts),
    ]
    for n in observations:
        for key in KEYS:
            row = [results[c][str(n)][key] for c in counts]
            cells = [f"{value:.0f} ({value / row[0]:.2f})" for value in row]
            lines.append(f"| {n} | {key.removeprefix('ours, ')} | " + " | ".join(cells) + " |")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
