"""The Dockerfile, without Docker: its pins and user are checked by parsing it, and its
install steps are replayed (wheel built, installed into a fresh virtualenv) and the
entrypoint is started against the testbed."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

from tests.testbed.conftest import Cluster, wait_for
from tests.testbed.test_operator import GROUP, VERSION, finished, grid_sweep

ROOT = Path(__file__).resolve().parents[2]


def stages() -> list[list[tuple[str, str]]]:
    """The Dockerfile's instructions, by stage, continuation lines joined."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    result: list[list[tuple[str, str]]] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        instruction, _, argument = line.partition(" ")
        if instruction.upper() == "FROM":
            result.append([])
        result[-1].append((instruction.upper(), argument.strip()))
    return result


def environment() -> dict[str, str]:
    """The final stage's ENV settings (KEY=value pairs)."""
    result: dict[str, str] = {}
    for instruction, argument in stages()[-1]:
        if instruction == "ENV":
            result.update(pair.split("=", 1) for pair in argument.split())
    return result


def test_the_operator_runs_blas_on_one_thread() -> None:
    # OpenBLAS starts a thread per core of the node; on small matrices they cost more than
    # they give (benchmarks/samplers.py measures the latency on one thread, too)
    settings = environment()
    assert settings.get("OPENBLAS_NUM_THREADS") == "1"
    assert settings.get("OMP_NUM_THREADS") == "1"


def test_base_images_are_pinned_and_the_final_stage_is_lean_and_non_root() -> None:
    all_stages = stages()
    assert len(all_stages) >= 2, "a multi-stage build"
    for stage in all_stages:
        image = stage[0][1].split()[0]
        assert re.fullmatch(r"[\w./-]+:\d+\.\d+\.\d+[\w.-]*(@sha256:[0-9a-f]{64})?", image), image
    final = all_stages[-1]
    users = [argument for instruction, argument in final if instruction == "USER"]
    assert users, "the final stage sets a USER"
    uid = users[-1].split(":")[0]
    assert uid not in ("0", "root")
    assert uid.isdigit(), "a numeric user, so runAsNonRoot can verify it"
    runs = " ".join(argument for instruction, argument in final if instruction == "RUN")
    for tool in ("gcc", "build-essential", "pip install --no-cache-dir --upgrade pip build"):
        assert tool not in runs
    (entrypoint,) = [a for i, a in final if i == "ENTRYPOINT"]
    assert json.loads(entrypoint) == ["kubesweep", "operator"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_the_images_install_steps_give_a_working_operator(
    cluster: Cluster, crds: None, namespace: str, tmp_path: Path
) -> None:
    wheels = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(wheels),
         str(ROOT)],
        check=True, capture_output=True,
    )  # fmt: skip
    (wheel,) = wheels.glob("*.whl")
    venv = tmp_path / "opt-kubesweep"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [str(venv / "bin" / "pip"), "install", "--quiet", "--no-cache-dir", str(wheel)],
        check=True, capture_output=True,
    )  # fmt: skip
    final = stages()[-1]
    (entrypoint,) = [json.loads(a) for i, a in final if i == "ENTRYPOINT"]
    liveness = free_port()
    log = tmp_path / "operator.log"
    env = {
        "PATH": f"{venv / 'bin'}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "KUBECONFIG": str(cluster.testbed.kubeconfig),
        "KUBESWEEP_PROMETHEUS_URL": cluster.state.prometheus_url,
        "KUBESWEEP_LIVENESS": f"http://127.0.0.1:{liveness}/healthz",
        "KUBESWEEP_POLL_INTERVAL": "1",
        **{k: v for k, v in environment().items() if k.endswith("_NUM_THREADS")},
    }
    command = [str(venv / "bin" / entrypoint[0]), *entrypoint[1:], "--namespace", namespace]
    with log.open("wb") as output:
        operator = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:

        def healthy() -> bool:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{liveness}/healthz", timeout=2) as r:
                    return bool(r.status == 200)
            except OSError:
                return False

        wait_for("the liveness endpoint", healthy, 60)
        sweep = grid_sweep("imaged")
        sweep["spec"]["limits"] = {"maxTotalTrials": 1}
        cluster.custom.create_namespaced_custom_object(
            GROUP, VERSION, namespace, "sweepjobs", sweep
        )
        status = wait_for("the sweep to finish", lambda: finished(cluster, namespace, "imaged"), 90)
        assert status["phase"] == "Succeeded", log.read_text()[-3000:]
    finally:
        operator.terminate()
        operator.wait(timeout=15)
