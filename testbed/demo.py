"""``make demo``: a real sweep on the local cluster, from nothing to the best trial.

Brings up the testbed (or reuses it), installs the CRDs, runs the operator, applies the
digits sweep (examples/digits/sweep-random-bandit.yaml) in the namespace ``demo``, shows
progress until the sweep ends, and prints the best trial. The testbed stays up afterwards
(``make testbed-down`` stops it).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml
from kubernetes import client, config
from kubernetes.client.exceptions import ApiException

from testbed.cluster import ROOT, Testbed

SWEEP = ROOT / "examples" / "digits" / "sweep-random-bandit.yaml"
NAMESPACE = "demo"
GROUP, VERSION = "kubesweep.io", "v1alpha1"


def kubectl(testbed: Testbed, *args: str) -> str:
    state = testbed.state()
    assert state is not None
    result = subprocess.run(
        [str(Path(state.bin_dir) / "kubectl"), "--kubeconfig", str(testbed.kubeconfig), *args],
        check=False,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise SystemExit(f"kubectl {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout


def main() -> int:
    testbed = Testbed()
    state = testbed.up()
    kubectl(testbed, "apply", "--server-side", "--force-conflicts", "-f", str(ROOT / "crds"))
    kubectl(testbed, "wait", "--for=condition=Established", "crd", "--all", "--timeout=60s")
    api = config.new_client_from_config(config_file=str(testbed.kubeconfig))
    core, custom = client.CoreV1Api(api), client.CustomObjectsApi(api)
    try:
        core.create_namespace({"metadata": {"name": NAMESPACE}})
    except ApiException as error:
        if error.status != 409:
            raise
    sweep = yaml.safe_load(SWEEP.read_text())
    name = sweep["metadata"]["name"]
    _remove_previous(custom, name)
    log = testbed.dir / "logs" / "operator-demo.log"
    env = {
        # one BLAS thread unless told otherwise, as in the image
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        **os.environ,
        "KUBECONFIG": str(testbed.kubeconfig),
        "KUBESWEEP_PROMETHEUS_URL": state.prometheus_url,
    }
    with log.open("ab") as output:
        operator = subprocess.Popen(
            [sys.executable, "-m", "kubesweep", "operator", "--namespace", NAMESPACE],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    print(f"operator running (log: {log})")
    try:
        return _run_sweep(testbed, custom, sweep)
    finally:
        operator.terminate()
        operator.wait(timeout=30)


def _remove_previous(custom: client.CustomObjectsApi, name: str) -> None:
    try:
        custom.delete_namespaced_custom_object(GROUP, VERSION, NAMESPACE, "sweepjobs", name)
        print(f"deleted the previous {name}; waiting for its trials to go")
        while custom.list_namespaced_custom_object(GROUP, VERSION, NAMESPACE, "sweeptrials")[
            "items"
        ]:
            time.sleep(1)
    except ApiException as error:
        if error.status != 404:
            raise


def _run_sweep(testbed: Testbed, custom: client.CustomObjectsApi, sweep: dict[str, Any]) -> int:
    name = sweep["metadata"]["name"]
    custom.create_namespaced_custom_object(GROUP, VERSION, NAMESPACE, "sweepjobs", sweep)
    print(f"applied {SWEEP.relative_to(ROOT)} to namespace {NAMESPACE}")
    total = sweep["spec"]["limits"]["maxTotalTrials"]
    started = time.monotonic()
    while True:
        body = custom.get_namespaced_custom_object(GROUP, VERSION, NAMESPACE, "sweepjobs", name)
        status = body.get("status") or {}
        counts = status.get("trials") or {}
        best = status.get("bestTrial") or {}
        print(
            f"{time.monotonic() - started:5.0f}s  {status.get('phase', 'Pending'):9}  "
            f"done {counts.get('completed', 0)}/{total}  running {counts.get('running', 0)}  "
            f"pending {counts.get('pending', 0)}  stopped {counts.get('earlyTerminated', 0)}  "
            f"best {best.get('metric', float('nan')):.4f} ({best.get('name', '-')})",
            flush=True,
        )
        if status.get("phase") in ("Succeeded", "Failed"):
            break
        if time.monotonic() - started > 600:
            print("the sweep did not finish in 10 minutes", file=sys.stderr)
            return 1
        time.sleep(2)
    print()
    print(kubectl(testbed, "get", "sweeps,strial", "-n", NAMESPACE))
    print(f"best trial: {best.get('name')} with {best.get('parameters')}")
    print(f"  accuracy {best.get('metric'):.4f} at step {best.get('step')}")
    print("the testbed is still up: `make testbed-down` stops it")
    return 0 if status.get("phase") == "Succeeded" else 1


if __name__ == "__main__":
    raise SystemExit(main())
