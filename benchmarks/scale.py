"""Our bayesian sampler on long sweeps: time and peak memory of one suggestion, with the
model capped at ``MODEL_LIMIT`` results (what the operator runs) and uncapped, side by side.

Each suggestion runs in a process of its own (peak memory is per process), with 16 trials
pending and the kernel refitted, in 6-D, on one BLAS thread as in the operator's image.
The uncapped model grows with the cube of the results in time and their square in memory,
so it runs only up to ``--uncapped-up-to``.

    python benchmarks/scale.py                        # 1000, 2000, 5000 and 20000 results
    python benchmarks/scale.py --observations 3000 --uncapped-up-to 3000
    python benchmarks/scale.py --quality              # what the cap costs the search

``--choices`` measures wide spaces instead: a choice of 10 to 1000 values (one model
feature each) with two uniforms, 1000 results and 16 pending, the operator's sampler against
the same sampler with its likelihood's (features, n, n) array of squared differences and the
refinement's (points, results, features) arrays whatever their size (the baseline: what
the operator ran before it bounded them).

    python benchmarks/scale.py --choices 10,100,1000

``--policies`` times one planning step of a sweep with random sampling and each
early-termination policy: 2000 trials finished and 200 running, 50 reports each. A policy
judges each running trial against the others, so it asks each trial's best (or mean) up to
a step once per running trial; the baseline is the same step with the records' memo of
those figures turned off (and Hyperband's memo of each trial's bracket).

    python benchmarks/scale.py --policies

``--first-step`` times the first planning step of a sweep that plans all its trials at once
(each suggestion sees the ones planned before it), for Sobol sampling (the baseline),
bayesian in 6-D and bayesian in a space of 15625 configurations, where each design trial
reads the others' configurations and walks the sequence past those taken.

    python benchmarks/scale.py --first-step 2000,10000

Past the cap the model forgets results, which may cost the search: ``--quality`` runs sweeps
of 1300 trials on Levy and Rosenbrock, capped and not, seeds 0-1 (12 minutes on 2
cores). A smaller copy of it does not stand in for it: capped at 100 in sweeps of 300
trials, the model drops two thirds of the results outside the best half, far regions look
unexplored again, and Levy stopped improving after trial 100 in 6 seeds of 6.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from typing import Any

PENDING = 16
DIMENSIONS = 6


def wide_history(values: int, observations: int) -> tuple[Any, list[Any]]:
    """A choice of ``values`` values and two uniforms: ``observations`` results of a
    function of all three, then PENDING trials running."""
    import numpy as np

    from kubesweep.domain.space import Choice, SearchSpace, Uniform
    from kubesweep.domain.trials import TrialPhase, TrialRecord

    names = tuple(f"v{value}" for value in range(values))  # names: one feature each
    space = SearchSpace.of({"a": Uniform(0, 1), "b": Uniform(0, 1), "c": Choice(names)})
    rng = np.random.default_rng(0)
    history = []
    for i in range(observations + PENDING):
        c = int(rng.integers(values))
        p = {"a": float(rng.random()), "b": float(rng.random()), "c": names[c]}
        value = (p["a"] - 0.3) ** 2 + p["b"] + (c % 7) / 7
        done = i < observations
        phase = TrialPhase.SUCCEEDED if done else TrialPhase.RUNNING
        history.append(TrialRecord.of(i, p, phase, [value] if done else []))
    return space, history


def _child(observations: int, capped: bool, choice: int | None = None) -> None:
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from samplers import latency_history

    from kubesweep.domain.samplers import BayesianSampler, _bayesian
    from kubesweep.domain.trials import Goal, Objective

    if choice is not None:
        if not capped:  # the baseline: every array at its full size
            _bayesian.SQUARED_LIMIT = _bayesian.MOMENTS_LIMIT = sys.maxsize
        space, history = wide_history(choice, observations)
    else:
        if not capped:
            _bayesian.MODEL_LIMIT = _bayesian.PENDING_LIMIT = sys.maxsize
        space, history, _, _ = latency_history(observations, DIMENSIONS, PENDING)
    sampler = BayesianSampler(space, seed=0, objective=Objective("f", Goal.MINIMIZE))
    started = time.perf_counter()
    sampler.suggest(len(history), history)
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(json.dumps({"ms": elapsed * 1000, "mb": peak}))


def _measure(observations: int, capped: bool, choice: int | None = None) -> dict[str, float]:
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    command = [sys.executable, __file__, "--child", str(observations)]
    command += [] if capped else ["--uncapped"]
    command += [] if choice is None else ["--choice", str(choice)]
    done = subprocess.run(
        command, env=env, check=True, capture_output=True, text=True
    )  # fmt: skip
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _capped_run(job: tuple[str, int, int, int]) -> float:
    name, limit, trials, seed = job
    import samplers
    from problems import all_problems

    from kubesweep.domain.samplers import _bayesian

    _bayesian.MODEL_LIMIT = limit
    problem = all_problems()[name]
    return samplers.run_ours("bayesian", problem, trials, 1, seed) - float(problem.optimum or 0)


def quality(trials: int = 1300, seeds: int = 2) -> None:
    import math
    from concurrent.futures import ProcessPoolExecutor

    # loaded first, as it sets the BLAS threads and kernels before numpy loads (the worker
    # processes inherit them)
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import samplers  # noqa: F401

    from kubesweep.domain.samplers._bayesian import MODEL_LIMIT

    problems = ("levy4", "rosenbrock4")
    limits = (MODEL_LIMIT,)
    levels = (sys.maxsize, *limits)
    jobs = [(p, limit, trials, s) for p in problems for limit in levels for s in range(seeds)]
    with ProcessPoolExecutor() as pool:
        regrets = dict(zip(jobs, pool.map(_capped_run, jobs), strict=True))
    names = ["no cap", *(f"cap {limit}" for limit in limits)]
    lines = [
        f"Our bayesian, {trials} trials, concurrency 1, seeds 0-{seeds - 1}: geometric mean of "
        "the regret (ratio to no cap).",
        "",
        "| problem | " + " | ".join(names) + " |",
        "|---|" + "---|" * len(names),
    ]
    for p in problems:
        means = [
            math.exp(sum(math.log(max(regrets[(p, lim, trials, s)], 1e-12)) for s in range(seeds))
                     / seeds)
            for lim in levels
        ]  # fmt: skip
        lines.append(
            f"| {p} | " + " | ".join(f"{m:.3g} ({m / means[0]:.2f})" for m in means) + " |"
        )
    print("\n".join(lines))


def choices(sizes: list[int], observations: int = 1000) -> None:
    lines = [
        f"One suggestion with a choice of K values and two uniforms, {observations} results, "
        f"{PENDING} pending, one BLAS thread: milliseconds and peak memory of the process "
        "(MB), the operator's sampler and the baseline with every array at its full size; "
        "ratio = operator / baseline.",
        "",
        "| K | model features | operator ms | operator MB | baseline ms | baseline MB "
        "| ratio ms | ratio MB |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for k in sizes:
        ours, usual = _measure(observations, True, k), _measure(observations, False, k)
        row = (
            f"| {k} | {k + 2} | {ours['ms']:.0f} | {ours['mb']:.0f} | {usual['ms']:.0f} "
            f"| {usual['mb']:.0f} | {ours['ms'] / usual['ms']:.2f} "
            f"| {ours['mb'] / usual['mb']:.2f} |"
        )
        lines.append(row)
        print(row, file=sys.stderr, flush=True)
    print("\n".join(lines))


class _Forgetful(dict[tuple[object, ...], object]):
    """A memo that keeps nothing (the baseline of ``--policies``)."""

    def __setitem__(self, key: tuple[object, ...], value: object) -> None:
        pass


def _policy_step(kind: str, memo: bool, finished: int = 2000, running: int = 200) -> float:
    """Seconds for one planning step with policy ``kind`` (see the module's docstring)."""
    import numpy as np

    from kubesweep.domain.planner import Limits, SweepSpec, plan_next_step
    from kubesweep.domain.policies import PolicyConfig, PolicyType
    from kubesweep.domain.samplers import SamplingConfig, SamplingType
    from kubesweep.domain.space import SearchSpace, Uniform
    from kubesweep.domain.trials import Goal, Objective, TrialPhase, TrialRecord

    config = {
        "asha": PolicyConfig(PolicyType.ASHA, min_resource=1, reduction_factor=3),
        "hyperband": PolicyConfig(PolicyType.HYPERBAND, max_resource=81, reduction_factor=3),
        "median_stopping": PolicyConfig(PolicyType.MEDIAN_STOPPING),
        "bandit": PolicyConfig(PolicyType.BANDIT, slack_factor=0.1),
        "truncation_selection": PolicyConfig(
            PolicyType.TRUNCATION_SELECTION, truncation_percentage=20
        ),
    }[kind]
    spec = SweepSpec(
        Objective("f", Goal.MAXIMIZE),
        SearchSpace.of({"x": Uniform(0, 1)}),
        SamplingConfig(SamplingType.RANDOM, seed=0),
        config,
        Limits(100_000, running),
    )
    rng = np.random.default_rng(0)
    records = []
    for i in range(finished + running):
        phase = TrialPhase.SUCCEEDED if i < finished else TrialPhase.RUNNING
        curve = (np.cumsum(rng.random(50)) / 50).tolist()
        record = TrialRecord.of(i, {"x": float(rng.random())}, phase, curve)
        if not memo:  # the record is frozen: its memo is swapped as its __init__ sets it
            object.__setattr__(record, "_memo", _Forgetful())
        records.append(record)
    from kubesweep.domain.policies import _asha

    cached = _asha._bracket
    if not memo:  # the baseline works out each trial's Hyperband bracket every time too
        _asha._bracket = cached.__wrapped__  # type: ignore[assignment]
    try:
        started = time.perf_counter()
        plan_next_step(spec, records, now=0.0, started_at=0.0)
        return time.perf_counter() - started
    finally:
        _asha._bracket = cached


def policies() -> None:
    kinds = ("bandit", "median_stopping", "truncation_selection", "asha", "hyperband")
    lines = [
        "One planning step, random sampling, 2000 trials finished and 200 running with 50 "
        "reports each: seconds with the records' memo (the operator's) and without it "
        "or Hyperband's memo of brackets (baseline); ratio = memo / baseline.",
        "",
        "| policy | memo s | baseline s | ratio |",
        "|---|---|---|---|",
    ]
    for kind in kinds:
        ours, baseline = _policy_step(kind, True), _policy_step(kind, False)
        row = f"| {kind} | {ours:.2f} | {baseline:.2f} | {ours / baseline:.2f} |"
        lines.append(row)
        print(row, file=sys.stderr, flush=True)
    print("\n".join(lines))


def _first_step(trials: int, sampler: str) -> tuple[float, int]:
    """Seconds for the first planning step of a sweep of ``trials`` trials all at once, and
    how many different configurations it planned."""
    from kubesweep.domain.planner import Limits, SweepSpec, plan_next_step
    from kubesweep.domain.samplers import SamplingConfig, SamplingRule, SamplingType
    from kubesweep.domain.space import Choice, SearchSpace, Uniform
    from kubesweep.domain.trials import Goal, Objective

    if sampler == "bayesian, 15625 configurations":
        space = SearchSpace.of({f"op{i}": Choice(("a", "b", "c", "d", "e")) for i in range(6)})
    else:
        space = SearchSpace.of({f"x{i}": Uniform(0, 1) for i in range(DIMENSIONS)})
    sampling = (
        SamplingConfig(SamplingType.RANDOM, rule=SamplingRule.SOBOL, seed=0)
        if sampler == "sobol"
        else SamplingConfig(SamplingType.BAYESIAN, seed=0)
    )
    spec = SweepSpec(Objective("f", Goal.MAXIMIZE), space, sampling, None, Limits(trials, trials))
    started = time.perf_counter()
    created = plan_next_step(spec, [], now=0.0, started_at=0.0).create
    elapsed = time.perf_counter() - started
    return elapsed, len({tuple(sorted(c.parameters.items())) for c in created})


def first_steps(sizes: list[int]) -> None:
    samplers = ("sobol", "bayesian", "bayesian, 15625 configurations")
    lines = [
        f"The first planning step of a sweep with maxConcurrentTrials = maxTotalTrials: "
        f"seconds, and the different configurations planned; {DIMENSIONS} uniforms, or 6 "
        "choices of 5 values; ratio = seconds / Sobol's (the baseline: no model, no history "
        "read).",
        "",
        "| trials | sampler | seconds | configurations | ratio |",
        "|---|---|---|---|---|",
    ]
    for trials in sizes:
        baseline = None
        for sampler in samplers:
            seconds, distinct = _first_step(trials, sampler)
            baseline = baseline or seconds
            row = (
                f"| {trials} | {sampler} | {seconds:.1f} | {distinct} | {seconds / baseline:.1f} |"
            )
            lines.append(row)
            print(row, file=sys.stderr, flush=True)
    print("\n".join(lines))


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--observations", default="1000,2000,5000,20000")
    parser.add_argument("--uncapped-up-to", type=int, default=5000)
    parser.add_argument("--quality", action="store_true", help="what the cap costs the search")
    parser.add_argument(
        "--choices", help="numbers of choice values (wide spaces, 1000 results), e.g. 10,1000"
    )
    parser.add_argument(
        "--policies", action="store_true", help="a planning step's time with each policy"
    )
    parser.add_argument(
        "--first-step", help="a first planning step's time by its trials, e.g. 2000,10000"
    )
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--uncapped", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--choice", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        _child(args.child, not args.uncapped, args.choice)
        return 0
    if args.quality:
        quality()
        return 0
    if args.choices:
        choices([int(v) for v in args.choices.split(",")])
        return 0
    if args.policies:
        policies()
        return 0
    if args.first_step:
        first_steps([int(v) for v in args.first_step.split(",")])
        return 0
    from kubesweep.domain.samplers._bayesian import MODEL_LIMIT, PENDING_LIMIT

    lines = [
        f"One suggestion with {PENDING} trials pending, {DIMENSIONS}-D, one BLAS thread: "
        f"milliseconds and peak memory of the process (MB), the model capped at {MODEL_LIMIT} "
        f"results and {PENDING_LIMIT} pending (the operator's) and uncapped; ratio = capped "
        "/ uncapped.",
        "",
        "| results | capped ms | capped MB | uncapped ms | uncapped MB | ratio ms | ratio MB |",
        "|---|---|---|---|---|---|---|",
    ]
    for n in (int(v) for v in args.observations.split(",")):
        capped = _measure(n, True)
        row = f"| {n} | {capped['ms']:.0f} | {capped['mb']:.0f} |"
        if n <= args.uncapped_up_to:
            free = _measure(n, False)
            row += f" {free['ms']:.0f} | {free['mb']:.0f} |"
            row += f" {capped['ms'] / free['ms']:.2f} | {capped['mb'] / free['mb']:.2f} |"
        else:
            row += " not run | not run | | |"
        lines.append(row)
        print(row, file=sys.stderr, flush=True)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
