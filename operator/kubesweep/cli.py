"""The ``kubesweep`` command line: the pure core reachable offline.

- ``kubesweep validate FILE...``: every rule the API server and the operator apply.
- ``kubesweep sample FILE -n N [--seed S]``: the parameter sets of trials 0..N-1.
- ``kubesweep simulate FILE --objective MODULE:FUNCTION [--seed S]``: a whole sweep on a
  simulated clock.
- ``kubesweep crds [--output DIR]``: the CRD manifests generated from the API models.

This module parses arguments, reads files and prints; the decisions are the domain's.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

import yaml

from kubesweep import __version__
from kubesweep.allocator import keep_freed_memory
from kubesweep.api.convert import to_sweep_spec
from kubesweep.api.crd import render_crds
from kubesweep.api.models import SweepJob
from kubesweep.api.validation import Problem, validate_document
from kubesweep.domain.simulation import ObjectiveFunction, simulate

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USAGE = 2


class _CommandError(Exception):
    """A problem to print, one line each, before exiting with ``code``."""

    def __init__(self, lines: list[str], code: int = EXIT_INVALID) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines
        self.code = code


def _documents(path: str) -> list[Any]:
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise _CommandError([f"{path}: cannot read: {error.strerror or error}"]) from None
    try:
        documents = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as error:
        raise _CommandError([f"{path}: not valid YAML: {' '.join(str(error).split())}"]) from None
    if not documents:
        raise _CommandError([f"{path}: holds no document; expected a SweepJob manifest"])
    return documents


def _problem_lines(path: str, problems: Sequence[Problem], document: int, count: int) -> list[str]:
    where = f" (document {document + 1})" if count > 1 else ""
    return [f"{path}: {problem}{where}" for problem in problems]


def _load_sweep(path: str) -> SweepJob:
    """The single SweepJob in ``path``, or a _CommandError listing its problems."""
    documents = _documents(path)
    if len(documents) != 1:
        raise _CommandError(
            [f"{path}: holds {len(documents)} documents; this command takes one SweepJob"]
        )
    problems = validate_document(documents[0])
    if problems:
        raise _CommandError(_problem_lines(path, problems, 0, 1))
    return SweepJob.model_validate(documents[0])


def cmd_validate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    failed = False
    for path in args.files:
        try:
            documents = _documents(path)
        except _CommandError as failure:
            print(*failure.lines, sep="\n", file=out)
            failed = True
            continue
        lines: list[str] = []
        for index, document in enumerate(documents):
            lines += _problem_lines(path, validate_document(document), index, len(documents))
        if lines:
            print(*lines, sep="\n", file=out)
            failed = True
        else:
            print(f"{path}: valid", file=err)
    return EXIT_INVALID if failed else EXIT_OK


def cmd_sample(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    sweep = _load_sweep(args.file)
    spec = to_sweep_spec(sweep.spec, seed=args.seed)
    sampler = spec.sampler()
    for index in range(args.n):
        parameters = sampler.suggest(index, [])
        if parameters is None:
            print(f"{args.file}: the grid has {index} points; printed them all", file=err)
            break
        print(json.dumps(parameters), file=out)
    return EXIT_OK


def _objective(reference: str) -> ObjectiveFunction:
    module_name, _, attribute = reference.partition(":")
    if not module_name or not attribute:
        raise _CommandError(
            [f"--objective: expected MODULE:FUNCTION, got {reference!r}"], EXIT_USAGE
        )
    if "" not in sys.path and str(Path.cwd()) not in sys.path:
        sys.path.insert(0, str(Path.cwd()))
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise _CommandError([f"--objective: cannot import {module_name!r}: {error}"]) from None
    function = getattr(module, attribute, None)
    if not callable(function):
        raise _CommandError([f"--objective: {module_name!r} has no function {attribute!r}"])
    typed: ObjectiveFunction = function
    return typed


def cmd_simulate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    sweep = _load_sweep(args.file)
    function = _objective(args.objective)
    result = simulate(to_sweep_spec(sweep.spec, seed=args.seed), function)
    json.dump(result.to_json(), out, indent=2)
    out.write("\n")
    return EXIT_OK


def cmd_convert(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from kubesweep.api.azure import ConversionError, convert

    documents = _documents(args.file)
    if len(documents) != 1:
        raise _CommandError([f"{args.file}: holds {len(documents)} documents; expected one"])
    try:
        result = convert(documents[0], image=args.image, gpus=args.gpus, name=args.name)
    except ConversionError as error:
        raise _CommandError([f"{args.file}: {error}"]) from None
    problems = validate_document(result.manifest)
    if problems:
        raise _CommandError([f"{args.file}: converted, but {problem}" for problem in problems])
    out.write(f"# Converted by kubesweep convert from {Path(args.file).name}.\n")
    for note in result.notes:
        out.write(f"# {note}\n")
    out.write(yaml.safe_dump(result.manifest, sort_keys=False, width=100))
    return EXIT_OK


def _cluster(namespace: str | None) -> tuple[Any, str]:
    """The custom-objects API of the current kubeconfig (or in-cluster), and the namespace."""
    from kubernetes import client, config

    path = os.environ.get("KUBECONFIG")  # read now: the client reads it once, at import
    try:
        config.load_kube_config(config_file=path)  # type: ignore[no-untyped-call]
        _, context = config.list_kube_config_contexts(config_file=path)  # type: ignore[no-untyped-call]
        default = (context or {}).get("context", {}).get("namespace") or "default"
    except config.ConfigException:
        config.load_incluster_config()  # type: ignore[no-untyped-call]
        default = "default"
    return client.CustomObjectsApi(), namespace or default


def _read_sweep(api: Any, namespace: str, name: str) -> tuple[dict[str, Any], list[Any]]:
    from kubernetes.client.exceptions import ApiException

    from kubesweep.api.models import API_GROUP, API_VERSION

    try:
        sweep = api.get_namespaced_custom_object(
            API_GROUP, API_VERSION, namespace, "sweepjobs", name
        )
    except ApiException as error:
        if error.status == 404:
            raise _CommandError(
                [f"sweepjob {name!r} not found in namespace {namespace!r}"]
            ) from None
        raise
    trials = api.list_namespaced_custom_object(
        API_GROUP,
        API_VERSION,
        namespace,
        "sweeptrials",
        label_selector=f"kubesweep.io/sweep={name}",
    )["items"]
    return sweep, trials


def cmd_get(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from kubesweep.api import results
    from kubesweep.api.models import API_GROUP, API_VERSION

    api, namespace = _cluster(args.namespace)
    if args.sweep is None:
        sweeps = api.list_namespaced_custom_object(API_GROUP, API_VERSION, namespace, "sweepjobs")[
            "items"
        ]
        if args.output in ("json", "yaml"):
            _dump(sweeps, args.output, out)
            return EXIT_OK
        rows = results.sweep_rows(sweeps)
        if args.output != "wide":
            rows = [{k: v for k, v in r.items() if k not in ("METRIC", "BEST TRIAL")} for r in rows]
        out.write(results.table(rows))
        return EXIT_OK
    sweep, trials = _read_sweep(api, namespace, args.sweep)
    if args.output in ("json", "yaml"):
        _dump({"sweep": sweep, "trials": results.trial_records(trials)}, args.output, out)
        return EXIT_OK
    rows = results.leaderboard(sweep, trials)
    if args.output == "wide":
        extra = {r["trial"]: r for r in results.trial_records(trials)}
        for row in rows:
            record = extra[row["TRIAL"]]
            row["LAST"] = "-" if record["last"] is None else f"{record['last']:.6g}"
            row["BEST STEP"] = str(record["bestStep"] or "-")
    out.write(results.table(rows))
    return EXIT_OK


def _dump(data: Any, form: str, out: TextIO) -> None:
    if form == "json":
        json.dump(data, out, indent=2)
        out.write("\n")
    else:
        out.write(yaml.safe_dump(data, sort_keys=False))


def cmd_export(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    import csv

    from kubesweep.api import results

    api, namespace = _cluster(args.namespace)
    sweep, trials = _read_sweep(api, namespace, args.sweep)
    records = results.trial_records(trials)
    if args.format == "json":
        _dump(records, "json", out)
        return EXIT_OK
    names = list(sweep["spec"]["searchSpace"])
    columns = ["trial", "index", "status", "reason", "steps", "best", "bestStep", "last"]
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns + names)
    for record in records:
        writer.writerow(
            [record[c] if record[c] is not None else "" for c in columns]
            + [record["parameters"].get(n, "") for n in names]
        )
    return EXIT_OK


FINISHED_PHASES = ("Succeeded", "Failed", "Stopped")


def _sweep_events(namespace: str, name: str) -> list[dict[str, str]]:
    from kubernetes import client

    listing = client.CoreV1Api().list_namespaced_event(
        namespace, field_selector=f"involvedObject.name={name},involvedObject.kind=SweepJob"
    )
    events = []
    for event in listing.items:
        stamp = event.event_time or event.last_timestamp or event.first_timestamp
        events.append(
            {
                "time": stamp.strftime("%H:%M:%S") if stamp else "",
                "sort": stamp.isoformat() if stamp else "",
                "reason": event.reason or "",
                "message": (event.message or "").replace("\n", " ")[:160],
            }
        )
    return sorted(events, key=lambda e: e["sort"])


def cmd_watch(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    import time

    from kubesweep.api import results

    api, namespace = _cluster(args.namespace)
    tty = out.isatty()
    shown: list[str] = []
    while True:
        sweep, _ = _read_sweep(api, namespace, args.sweep)
        lines = results.watch_view(sweep, _sweep_events(namespace, args.sweep))
        if tty:
            out.write("\x1b[H\x1b[2J" + "\n".join(lines) + "\n")
        else:
            # Line output: each line once, when it first appears.
            for line in lines:
                if line not in shown:
                    out.write(line + "\n")
                    shown.append(line)
        out.flush()
        phase = (sweep.get("status") or {}).get("phase")
        if phase in FINISHED_PHASES:
            return EXIT_OK if phase == "Succeeded" else EXIT_INVALID
        time.sleep(args.interval)


def cmd_plot(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from kubesweep.api import results
    from kubesweep.metrics.prometheus import MetricsUnavailableError, query_curves

    try:
        from kubesweep import plotting
    except ImportError:  # pragma: no cover - depends on the installation
        raise _CommandError(["plot needs matplotlib: pip install 'kubesweep[plot]'"]) from None
    target = Path(args.output)
    if target.suffix not in (".png", ".html"):
        raise _CommandError([f"-o: {args.output!r} must end in .png or .html"], EXIT_USAGE)
    api, namespace = _cluster(args.namespace)
    sweep, trials = _read_sweep(api, namespace, args.sweep)
    url = (
        args.prometheus_url
        or ((sweep["spec"].get("metrics") or {}).get("prometheus") or {}).get("url")
        or os.environ.get("KUBESWEEP_PROMETHEUS_URL")
    )
    curves: dict[str, list[tuple[int, float]]] = {}
    if url:
        metric = sweep["spec"]["objective"]["primaryMetric"]
        try:
            curves = query_curves(url, namespace, args.sweep, metric)
        except MetricsUnavailableError as error:
            print(f"{error}; plotting the curves kept in the SweepTrials", file=err)
    if target.suffix == ".png":
        target.write_bytes(plotting.render_png(sweep, trials, curves))
    else:
        board = results.leaderboard(sweep, trials)
        target.write_text(plotting.render_html(sweep, trials, curves, board), encoding="utf-8")
    print(f"wrote {target}", file=err)
    return EXIT_OK


def cmd_crds(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    rendered = render_crds()
    if args.output is None:
        out.write("---\n".join(rendered.values()))
        return EXIT_OK
    directory = Path(args.output)
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in rendered.items():
        (directory / name).write_text(text, encoding="utf-8")
        print(f"wrote {directory / name}", file=err)
    return EXIT_OK


def cmd_operator(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    import logging

    import kopf

    from kubesweep.handlers import sweep
    from kubesweep.handlers.settings import OperatorSettings

    del sweep  # imported for its handlers, which kopf registers
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    kopf.run(
        memo=kopf.Memo(
            settings=OperatorSettings.from_environment(args.prometheus_url, args.metrics_port)
        ),
        clusterwide=not args.namespace,
        namespaces=args.namespace or (),
        standalone=not args.peering,
        peering_name=args.peering,
        liveness_endpoint=args.liveness,
    )
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kubesweep", description="Hyperparameter sweeps on Kubernetes."
    )
    parser.add_argument("--version", action="version", version=f"kubesweep {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    validate = commands.add_parser(
        "validate", help="check SweepJob manifests without a cluster (exit 1 when invalid)"
    )
    validate.add_argument("files", nargs="+", metavar="FILE", help="YAML files ('-': stdin)")
    validate.set_defaults(run=cmd_validate)

    sample = commands.add_parser(
        "sample", help="print the parameters of the first N trials, one JSON object per line"
    )
    sample.add_argument("file", metavar="FILE")
    sample.add_argument("-n", type=_positive_int, required=True, metavar="N")
    sample.add_argument("--seed", type=_seed, help="override the sampler's seed")
    sample.set_defaults(run=cmd_sample)

    sim = commands.add_parser(
        "simulate", help="run the whole sweep on a simulated clock against a Python function"
    )
    sim.add_argument("file", metavar="FILE")
    sim.add_argument(
        "--objective",
        required=True,
        metavar="MODULE:FUNCTION",
        help="f(parameters: dict) -> list of the primary metric at steps 1, 2, 3, ...",
    )
    sim.add_argument("--seed", type=_seed, help="override the sampler's seed")
    sim.set_defaults(run=cmd_simulate)

    _add_cluster_commands(commands)

    conv = commands.add_parser(
        "convert", help="print the SweepJob equivalent of an Azure ML sweep job YAML"
    )
    conv.add_argument("file", metavar="AZURE_SWEEP.yml")
    conv.add_argument("--image", required=True, help="the trials' container image")
    conv.add_argument(
        "--gpus", type=_non_negative_int, default=0, metavar="N", help="nvidia.com/gpu per trial"
    )
    conv.add_argument("--name", help="the SweepJob's name (default: from the Azure job)")
    conv.set_defaults(run=cmd_convert)

    operator = commands.add_parser(
        "operator", help="run the operator against the current kubeconfig or in-cluster config"
    )
    operator.add_argument(
        "--namespace",
        action="append",
        metavar="NS",
        help="watch this namespace (repeatable); default: every namespace",
    )
    operator.add_argument(
        "--prometheus-url",
        metavar="URL",
        help="default Prometheus for sweeps that name none (env KUBESWEEP_PROMETHEUS_URL)",
    )
    operator.add_argument(
        "--metrics-port",
        type=int,
        metavar="PORT",
        help="serve the operator's own metrics here (env KUBESWEEP_OPERATOR_METRICS_PORT)",
    )
    operator.add_argument(
        "--peering",
        metavar="NAME",
        help="coordinate replicas through this kopf peering object (leader election)",
    )
    operator.add_argument(
        "--liveness",
        metavar="URL",
        default=os.environ.get("KUBESWEEP_LIVENESS"),
        help="serve kopf's liveness probe here, e.g. http://0.0.0.0:8080/healthz",
    )
    operator.set_defaults(run=cmd_operator)

    crds = commands.add_parser("crds", help="print (or write) the CRDs")
    crds.add_argument("--output", metavar="DIR", help="write one file per CRD into DIR")
    crds.set_defaults(run=cmd_crds)
    return parser


def _add_cluster_commands(commands: Any) -> None:
    """The commands that read a cluster: get, export, watch, plot."""
    get = commands.add_parser(
        "get", help="every sweep with its progress, or one sweep's trial leaderboard"
    )
    get.add_argument("sweep", nargs="?", metavar="SWEEP")
    get.add_argument("-n", "--namespace", help="default: the kubeconfig context's namespace")
    get.add_argument("-o", "--output", choices=["json", "yaml", "wide"])
    get.set_defaults(run=cmd_get)

    export = commands.add_parser(
        "export", help="one row per trial: parameters, status, steps and metrics"
    )
    export.add_argument("sweep", metavar="SWEEP")
    export.add_argument("-n", "--namespace", help="default: the kubeconfig context's namespace")
    export.add_argument("--format", choices=["csv", "json"], default="csv")
    export.set_defaults(run=cmd_export)

    watch = commands.add_parser(
        "watch", help="a live view of one sweep until it ends (line output when not a TTY)"
    )
    watch.add_argument("sweep", metavar="SWEEP")
    watch.add_argument("-n", "--namespace", help="default: the kubeconfig context's namespace")
    watch.add_argument("--interval", type=float, default=2.0, help="seconds between refreshes")
    watch.set_defaults(run=cmd_watch)

    plot = commands.add_parser(
        "plot", help="curves per step, hyperparameters and best-so-far, as PNG or HTML"
    )
    plot.add_argument("sweep", metavar="SWEEP")
    plot.add_argument("-o", "--output", required=True, metavar="FILE.png|FILE.html")
    plot.add_argument("-n", "--namespace", help="default: the kubeconfig context's namespace")
    plot.add_argument("--prometheus-url", metavar="URL", help="default: the sweep's, then env")
    plot.set_defaults(run=cmd_plot)


def _whole_number(least: int, most: int | None = None) -> Callable[[str], int]:
    """An argparse type: a whole number from ``least`` (to ``most``)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < least or (most is not None and value > most):
            bounds = f"at least {least}" if most is None else f"from {least} to {most}"
            raise argparse.ArgumentTypeError(f"must be {bounds}, got {value}")
        return value

    return parse


_positive_int = _whole_number(1)
_non_negative_int = _whole_number(0)
_seed = _whole_number(0, 2**32 - 1)


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    keep_freed_memory()  # a suggestion's arrays stay off the kernel's page faults
    args = build_parser().parse_args(argv)
    run: Callable[[argparse.Namespace, TextIO, TextIO], int] = args.run
    stdout = out or sys.stdout
    try:
        return run(args, stdout, sys.stderr)
    except _CommandError as failure:
        print(*failure.lines, sep="\n", file=stdout if failure.code == EXIT_INVALID else sys.stderr)
        return failure.code
