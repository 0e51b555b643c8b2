"""Start and stop the testbed: etcd, kube-apiserver, kube-controller-manager,
kube-scheduler, kwok (nodes only), the pod runner and Prometheus, all on 127.0.0.1.

State lives in ``.testbed/`` at the repository root: certificates, the admin token, the
kubeconfig, ``env`` (``KUBECONFIG=...`` and ``KUBESWEEP_PROMETHEUS_URL=...``), logs, and
``state.json`` with the ports and process ids that ``down`` stops.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
STATE_DIR = ROOT / ".testbed"
SERVICE_CIDR = "10.96.0.0/16"  # a range the API server requires; nothing is ever sent there
POD_CIDR = "127.1.0.0/16"  # loopback: a trial process can listen on its pod's IP
GPU_RESOURCE = "nvidia.com/gpu"


class TestbedError(RuntimeError):
    pass


@dataclass
class Settings:
    nodes: int = int(os.environ.get("KUBESWEEP_TESTBED_NODES", "2"))
    gpus_per_node: int = int(os.environ.get("KUBESWEEP_TESTBED_GPUS", "2"))
    state_dir: Path = STATE_DIR


@dataclass
class State:
    bin_dir: str
    etcd_port: int
    etcd_peer_port: int
    api_port: int
    prometheus_port: int
    token: str
    nodes: int
    gpus_per_node: int
    pids: dict[str, int] = field(default_factory=dict)

    @property
    def api_url(self) -> str:
        return f"https://127.0.0.1:{self.api_port}"

    @property
    def prometheus_url(self) -> str:
        return f"http://127.0.0.1:{self.prometheus_port}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _log(message: str) -> None:
    print(f"[testbed] {message}", file=sys.stderr, flush=True)


def build_binaries() -> Path:
    """Build (or reuse from the cache) the control plane's binaries; their directory."""
    result = subprocess.run(
        ["bash", str(ROOT / "testbed" / "build.sh")],
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    return Path(result.stdout.strip().splitlines()[-1])


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def _certificates(pki: Path) -> None:
    """A CA, the API server's serving certificate and the service-account key pair."""
    pki.mkdir(parents=True, exist_ok=True)
    _openssl(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3650",
        "-keyout", "ca.key", "-out", "ca.crt", "-subj", "/CN=kubesweep-testbed-ca",
        cwd=pki,
    )  # fmt: skip
    (pki / "san.ext").write_text(
        "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,"
        "DNS:kubernetes.default,DNS:kubernetes.default.svc,IP:10.96.0.1\n"
        "extendedKeyUsage=serverAuth\n"
    )
    _openssl(
        "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "apiserver.key",
        "-out", "apiserver.csr", "-subj", "/CN=kube-apiserver", cwd=pki,
    )  # fmt: skip
    _openssl(
        "x509", "-req", "-in", "apiserver.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
        "-CAcreateserial", "-days", "3650", "-extfile", "san.ext", "-out", "apiserver.crt",
        cwd=pki,
    )  # fmt: skip
    _openssl("genrsa", "-out", "sa.key", "2048", cwd=pki)
    _openssl("rsa", "-in", "sa.key", "-pubout", "-out", "sa.pub", cwd=pki)


def _kubeconfig(state: State, pki: Path) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": "testbed",
                "cluster": {"server": state.api_url, "certificate-authority": str(pki / "ca.crt")},
            }
        ],
        "users": [{"name": "admin", "user": {"token": state.token}}],
        "contexts": [{"name": "testbed", "context": {"cluster": "testbed", "user": "admin"}}],
        "current-context": "testbed",
    }


def _prometheus_config(state: State, directory: Path) -> str:
    pki = directory / "pki"
    sd = {
        "role": "pod",
        "api_server": state.api_url,
        "tls_config": {"ca_file": str(pki / "ca.crt")},
        "authorization": {"credentials_file": str(directory / "token")},
    }
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s", "scrape_timeout": "1s"},
        "scrape_configs": [
            {
                "job_name": "kubernetes-pods",
                "kubernetes_sd_configs": [sd],
                "relabel_configs": [
                    {
                        "source_labels": ["__meta_kubernetes_pod_annotation_prometheus_io_scrape"],
                        "regex": "true",
                        "action": "keep",
                    },
                    {
                        "source_labels": ["__meta_kubernetes_pod_phase"],
                        "regex": "Pending|Succeeded|Failed|Unknown",
                        "action": "drop",
                    },
                    {
                        "source_labels": ["__meta_kubernetes_pod_annotation_prometheus_io_path"],
                        "regex": "(.+)",
                        "target_label": "__metrics_path__",
                    },
                    {
                        "source_labels": [
                            "__meta_kubernetes_pod_ip",
                            "__meta_kubernetes_pod_annotation_prometheus_io_port",
                        ],
                        "regex": "(.+);([0-9]+)",
                        "replacement": "$1:$2",
                        "target_label": "__address__",
                    },
                    {"action": "labelmap", "regex": "__meta_kubernetes_pod_label_(.+)"},
                    {"source_labels": ["__meta_kubernetes_namespace"], "target_label": "namespace"},
                    {"source_labels": ["__meta_kubernetes_pod_name"], "target_label": "pod"},
                ],
            }
        ],
    }
    return json.dumps(config, indent=2)  # JSON is YAML


def _kwok_config() -> str:
    """kwok keeps the nodes alive; pods are the runner's. A pod stage whose selector never
    matches replaces kwok's default pod stages, so kwok leaves every pod alone."""
    return """\
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: pods-belong-to-the-kubesweep-runner
spec:
  resourceRef:
    apiGroup: v1
    kind: Pod
  selector:
    matchLabels:
      kubesweep.io/testbed-never-matches: "true"
  next:
    delete: true
"""


class Testbed:
    """One testbed, in ``settings.state_dir``."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()
        self.dir = self.settings.state_dir
        self.logs = self.dir / "logs"

    # -- state -------------------------------------------------------------------------------

    @property
    def kubeconfig(self) -> Path:
        return self.dir / "kubeconfig"

    def state(self) -> State | None:
        path = self.dir / "state.json"
        if not path.exists():
            return None
        return State(**json.loads(path.read_text()))

    def _save(self, state: State) -> None:
        (self.dir / "state.json").write_text(json.dumps(asdict(state), indent=2))

    def is_up(self) -> bool:
        state = self.state()
        if state is None:
            return False
        alive = all(_alive(pid) for pid in state.pids.values())
        return alive and self._api_ready(state) and self._prometheus_ready(state)

    # -- health ------------------------------------------------------------------------------

    def _ssl(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.dir / "pki" / "ca.crt"))

    def _api_ready(self, state: State) -> bool:
        request = urllib.request.Request(
            f"{state.api_url}/readyz", headers={"Authorization": f"Bearer {state.token}"}
        )
        try:
            with urllib.request.urlopen(request, timeout=2, context=self._ssl()) as response:
                return bool(response.status == 200)
        except OSError:
            return False

    def _prometheus_ready(self, state: State) -> bool:
        try:
            with urllib.request.urlopen(f"{state.prometheus_url}/-/ready", timeout=2) as r:
                return bool(r.status == 200)
        except OSError:
            return False

    def _wait(self, what: str, check: Any, timeout: float, name: str | None = None) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if check():
                return
            state = self.state()
            if name and state and not _alive(state.pids.get(name, -1)):
                raise TestbedError(f"{name} exited; see {self.logs / (name + '.log')}")
            time.sleep(0.2)
        raise TestbedError(f"{what} not ready after {timeout:.0f}s; logs in {self.logs}")

    # -- processes ---------------------------------------------------------------------------

    def _start(
        self, state: State, name: str, argv: list[str], env: dict[str, str] | None = None
    ) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        log = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115 - the child keeps it
        process = subprocess.Popen(
            argv,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            cwd=self.dir,
            env={**os.environ, **(env or {})},
        )
        log.close()
        state.pids[name] = process.pid
        self._save(state)

    # -- up / down ---------------------------------------------------------------------------

    def up(self) -> State:
        """Start everything (or reuse a running testbed); the state."""
        if self.is_up():
            state = self.state()
            assert state is not None
            _log("reusing the running testbed")
            return state
        self.down()
        started = time.monotonic()
        bin_dir = build_binaries()
        build_seconds = time.monotonic() - started
        started = time.monotonic()

        self.dir.mkdir(parents=True, exist_ok=True)
        pki = self.dir / "pki"
        _certificates(pki)
        state = State(
            bin_dir=str(bin_dir),
            etcd_port=_free_port(),
            etcd_peer_port=_free_port(),
            api_port=_free_port(),
            prometheus_port=_free_port(),
            token=secrets.token_hex(16),
            nodes=self.settings.nodes,
            gpus_per_node=self.settings.gpus_per_node,
        )
        (self.dir / "token").write_text(state.token)
        (self.dir / "tokens.csv").write_text(f'{state.token},admin,admin,"system:masters"\n')
        self.kubeconfig.write_text(json.dumps(_kubeconfig(state, pki), indent=2))
        self._save(state)
        b = Path(state.bin_dir)

        self._start(state, "etcd", [
            str(b / "etcd"), "--data-dir", str(self.dir / "etcd"), "--name", "testbed",
            "--listen-client-urls", f"http://127.0.0.1:{state.etcd_port}",
            "--advertise-client-urls", f"http://127.0.0.1:{state.etcd_port}",
            "--listen-peer-urls", f"http://127.0.0.1:{state.etcd_peer_port}",
            "--initial-advertise-peer-urls", f"http://127.0.0.1:{state.etcd_peer_port}",
            "--initial-cluster", f"testbed=http://127.0.0.1:{state.etcd_peer_port}",
            "--unsafe-no-fsync", "--quota-backend-bytes", str(2 * 1024**3),
        ])  # fmt: skip
        self._start(state, "kube-apiserver", [
            str(b / "kube-apiserver"),
            "--etcd-servers", f"http://127.0.0.1:{state.etcd_port}",
            "--bind-address", "127.0.0.1", "--advertise-address", "127.0.0.1",
            "--secure-port", str(state.api_port),
            "--tls-cert-file", str(pki / "apiserver.crt"),
            "--tls-private-key-file", str(pki / "apiserver.key"),
            "--client-ca-file", str(pki / "ca.crt"),
            "--token-auth-file", str(self.dir / "tokens.csv"),
            "--authorization-mode", "RBAC",
            "--service-account-issuer", "https://kubernetes.default.svc.cluster.local",
            "--service-account-key-file", str(pki / "sa.pub"),
            "--service-account-signing-key-file", str(pki / "sa.key"),
            "--service-cluster-ip-range", SERVICE_CIDR,
            "--allow-privileged", "--profiling=false",
            "--endpoint-reconciler-type", "none",
        ])  # fmt: skip
        self._wait("kube-apiserver", lambda: self._api_ready(state), 60, "kube-apiserver")
        kubeconfig = str(self.kubeconfig)
        self._start(state, "kube-controller-manager", [
            str(b / "kube-controller-manager"), "--kubeconfig", kubeconfig,
            "--leader-elect=false", "--secure-port=0",
            "--service-account-private-key-file", str(pki / "sa.key"),
            "--root-ca-file", str(pki / "ca.crt"),
            "--use-service-account-credentials=false",
            "--controllers", "*,-nodeipam,-cloud-node-lifecycle",
            "--concurrent-job-syncs", "10", "--concurrent-gc-syncs", "10",
        ])  # fmt: skip
        self._start(state, "kube-scheduler", [
            str(b / "kube-scheduler"), "--kubeconfig", kubeconfig,
            "--leader-elect=false", "--secure-port=0",
        ])  # fmt: skip
        (self.dir / "kwok.yaml").write_text(_kwok_config())
        self._start(state, "kwok", [
            str(b / "kwok"), "--kubeconfig", kubeconfig, "--config", str(self.dir / "kwok.yaml"),
            "--manage-all-nodes=false",
            "--manage-nodes-with-annotation-selector", "kwok.x-k8s.io/node=fake",
            "--node-ip", "127.0.0.1",
        ])  # fmt: skip
        self._start(
            state,
            "runner",
            [sys.executable, "-m", "testbed.runner", "--kubeconfig", kubeconfig,
             "--pod-cidr", POD_CIDR, "--work-dir", str(self.dir / "pods")],
            env={"PYTHONPATH": str(ROOT)},
        )  # fmt: skip
        (self.dir / "prometheus.yml").write_text(_prometheus_config(state, self.dir))
        self._start(state, "prometheus", self._prometheus_argv(state))

        from testbed.nodes import create_nodes, wait_for_cluster

        create_nodes(kubeconfig, state.nodes, state.gpus_per_node)
        wait_for_cluster(kubeconfig, state.nodes, timeout=60)
        self._wait("prometheus", lambda: self._prometheus_ready(state), 60, "prometheus")
        (self.dir / "env").write_text(
            f"KUBECONFIG={self.kubeconfig}\n"
            f"KUBESWEEP_PROMETHEUS_URL={state.prometheus_url}\n"
            f"KUBESWEEP_TESTBED_BIN={state.bin_dir}\n"
        )
        _log(
            f"up in {time.monotonic() - started:.1f}s (binaries ready in {build_seconds:.1f}s): "
            f"{state.nodes} kwok nodes with {state.gpus_per_node} {GPU_RESOURCE} each"
        )
        return state

    def _prometheus_argv(self, state: State) -> list[str]:
        return [
            str(Path(state.bin_dir) / "prometheus"),
            "--config.file", str(self.dir / "prometheus.yml"),
            "--storage.tsdb.path", str(self.dir / "prometheus"),
            "--web.listen-address", f"127.0.0.1:{state.prometheus_port}",
            "--storage.tsdb.retention.time", "1d",
        ]  # fmt: skip

    def stop_prometheus(self) -> None:
        """Stop Prometheus alone (tests of an operator that loses its metrics)."""
        state = self.state()
        assert state is not None
        _stop(state.pids["prometheus"])

    def start_prometheus(self) -> None:
        """Start Prometheus again, on the same port and data, and wait until it is ready."""
        state = self.state()
        assert state is not None
        if _alive(state.pids["prometheus"]) and self._prometheus_ready(state):
            return
        self._start(state, "prometheus", self._prometheus_argv(state))
        self._wait("prometheus", lambda: self._prometheus_ready(state), 60, "prometheus")

    def down(self) -> None:
        """Stop every process of the testbed and remove its state."""
        state = self.state()
        if state is not None:
            for name in reversed(list(state.pids)):
                _stop(state.pids[name])
        if self.dir.exists():
            shutil.rmtree(self.dir, ignore_errors=True)

    def usage(self) -> str:
        state = self.state()
        assert state is not None
        return (
            f"The testbed is up: API server {state.api_url}, Prometheus {state.prometheus_url}.\n"
            f"Use it with:\n"
            f"  set -a; . {self.dir / 'env'}; set +a\n"
            f"  export PATH={state.bin_dir}:$PATH\n"
            f"  kubectl get nodes\n"
            f"Stop it with: make testbed-down"
        )


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def _stop(pid: int, grace: float = 5.0) -> None:
    try:
        os.killpg(pid, signal.SIGTERM)
    except OSError:
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.1)
    with contextlib.suppress(OSError):
        os.killpg(pid, signal.SIGKILL)
