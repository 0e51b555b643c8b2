"""Suggestion latency of our bayesian sampler by process setting, side by side: BLAS
threads, and the memory allocator.

The operator image runs OpenBLAS on one thread (``OPENBLAS_NUM_THREADS=1`` in the
Dockerfile); ``--threads`` shows what that gains or costs against more threads on this
machine (OpenBLAS's own default is one thread per core). The operator's process keeps the
memory its suggestions free (``kubesweep.allocator``); ``--allocator`` shows that against
glibc's defaults, with each process's peak memory. Each setting runs in a process of its
own, as both are read when the process starts, and with none of Optuna's suggestions, as
in the operator (what a process freed before changes glibc's thresholds); the figures are
``samplers.latency``'s (median of 9 suggestions after a warm-up, 6 parameters).

    python benchmarks/threads.py                  # 1 thread against every core
    python benchmarks/threads.py --threads 1,2,4 --observations 200
    python benchmarks/threads.py --allocator      # kept freed memory against glibc's defaults
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys

KEYS = ("ours, refit", "ours, kernel reused")
REPEATS = 9
# a malloc tunable at its default value: glibc's settings stand, and so kubesweep's do not
GLIBC_DEFAULTS = "glibc.malloc.tcache_count=7"


def _child(observations: list[int]) -> None:
    from kubesweep.allocator import keep_freed_memory

    keep_freed_memory()  # as the operator does, unless the environment sets malloc up
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import samplers  # after the environment is set

    samplers._quiet_optuna()  # imports Optuna and torch, outside the page faults counted
    result: dict[str, object] = {}
    for n in observations:
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        timings = samplers.latency(n, repeats=REPEATS, rivals=False)
        faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
        # two suggestions in each repeat and in the warm-up (building the history counts too)
        result[str(n)] = {**{k: timings[k] for k in KEYS}, "faults": faults / (2 * REPEATS + 2)}
    result["peak"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--threads", default=f"1,{os.cpu_count() or 1}")
    parser.add_argument(
        "--allocator", action="store_true", help="on one thread, kubesweep's against glibc's"
    )
    parser.add_argument("--observations", default="200,1000")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    observations = [int(n) for n in args.observations.split(",")]
    if args.child:
        _child(observations)
        return 0
    threads = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    if args.allocator:
        settings = {
            "kubesweep's allocator": threads,
            "glibc's defaults": {**threads, "GLIBC_TUNABLES": GLIBC_DEFAULTS},
        }
        what = "by memory allocator, one BLAS thread"
    else:
        counts = sorted({int(t) for t in args.threads.split(",")})
        settings = {
            f"{c} thread{'s' if c > 1 else ''}": {
                "OPENBLAS_NUM_THREADS": str(c),
                "OMP_NUM_THREADS": str(c),
            }
            for c in counts
        }
        what = f"by BLAS threads ({os.cpu_count()} cores here)"
    results = {}
    for label, variables in settings.items():
        done = subprocess.run(
            [sys.executable, __file__, "--child", "--observations", args.observations],
            env={**os.environ, **variables}, check=True, capture_output=True, text=True,
        )  # fmt: skip
        results[label] = json.loads(done.stdout.strip().splitlines()[-1])
    labels = list(settings)
    lines = [
        f"Suggestion latency, milliseconds, {what}; ratio to {labels[0]}:",
        "",
        "| observations | suggestion | " + " | ".join(labels) + " |",
        "|---|---|" + "---|" * len(labels),
    ]
    for n in observations:
        for key in KEYS:
            row = [results[label][str(n)][key] for label in labels]
            cells = [f"{value:.0f} ({value / row[0]:.2f})" for value in row]
            lines.append(f"| {n} | {key.removeprefix('ours, ')} | " + " | ".join(cells) + " |")
    for n in observations:
        faults = [f"{results[label][str(n)]['faults']:.0f}" for label in labels]
        lines.append(f"| {n} | page faults per suggestion | " + " | ".join(faults) + " |")
    peaks = [f"{results[label]['peak']:.0f} MB" for label in labels]
    lines.append("| | peak memory of the process | " + " | ".join(peaks) + " |")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
