"""The testbed's kubelet stand-in: runs the containers of pods bound to kwok nodes as host
processes and reflects their lives into the pod status.

For each pod the scheduler binds to a node, the runner gives it an IP from a loopback range
(so a process can listen on its pod's IP), runs its init containers one after another and
then its containers, each as a process group with the pod's environment (``env`` values,
``$(VAR)`` references and downward-API ``fieldRef`` values), and the project's virtualenv
first on PATH. Image names are ignored. The container's termination message is the file
named by ``KUBESWEEP_TERMINATION_MESSAGE_PATH`` (in a real container: /dev/termination-log).

Pod status follows the kubelet's: Running with ``podIP`` and running container states, then
Succeeded or Failed with each container's exit code, reason and termination message
(``restartPolicy: OnFailure`` restarts a failed container). ``activeDeadlineSeconds`` fails
the pod with reason DeadlineExceeded. Deleting the pod kills its processes, after which the
runner removes the pod object, as a kubelet does when a pod has terminated.
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import json
import logging
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kubernetes import client, config, watch
from kubernetes.client.exceptions import ApiException

ROOT = Path(__file__).resolve().parent.parent
TERMINATION_ENV = "KUBESWEEP_TERMINATION_MESSAGE_PATH"
MAX_MESSAGE = 4096
log = logging.getLogger("testbed.runner")


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class IPPool:
    """Addresses of a CIDR, handed out in order and given back when a pod ends."""

    def __init__(self, cidr: str) -> None:
        self._hosts: Iterator[ipaddress.IPv4Address] = ipaddress.IPv4Network(cidr).hosts()  # type: ignore[assignment]
        self._free: list[str] = []
        self._lock = threading.Lock()

    def take(self) -> str:
        with self._lock:
            return self._free.pop(0) if self._free else str(next(self._hosts))

    def give(self, ip: str) -> None:
        with self._lock:
            self._free.append(ip)


_VAR = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)")


def expand(text: str, env: dict[str, str]) -> str:
    """Kubernetes ``$(VAR)`` expansion: defined names are replaced, others kept."""
    return _VAR.sub(lambda m: env.get(m.group(1), m.group(0)), text)


def field_value(pod: dict[str, Any], path: str, ip: str) -> str:
    meta = pod["metadata"]
    simple = {
        "metadata.name": meta.get("name"),
        "metadata.namespace": meta.get("namespace"),
        "metadata.uid": meta.get("uid"),
        "spec.nodeName": pod["spec"].get("nodeName"),
        "spec.serviceAccountName": pod["spec"].get("serviceAccountName"),
        "status.podIP": ip,
        "status.hostIP": "127.0.0.1",
    }
    if path in simple:
        return str(simple[path] or "")
    match = re.fullmatch(r"metadata\.(labels|annotations)\['(.+)'\]", path)
    if match:
        return str((meta.get(match.group(1)) or {}).get(match.group(2), ""))
    raise ValueError(f"unsupported fieldRef {path!r}")


@dataclass
class Container:
    name: str
    spec: dict[str, Any]
    directory: Path
    process: subprocess.Popen[bytes] | None = None
    started_at: str | None = None
    restarts: int = 0
    terminated: dict[str, Any] | None = None

    @property
    def message_path(self) -> Path:
        return self.directory / "termination-log"

    def status(self, init: bool = False) -> dict[str, Any]:
        state: dict[str, Any]
        if self.terminated is not None:
            state = {"terminated": self.terminated}
        elif self.process is not None:
            state = {"running": {"startedAt": self.started_at}}
        else:
            state = {"waiting": {"reason": "PodInitializing" if not init else "Waiting"}}
        return {
            "name": self.name,
            "image": self.spec.get("image", ""),
            "imageID": "",
            "containerID": f"testbed://{self.process.pid}" if self.process else None,
            "ready": self.process is not None and self.terminated is None,
            "started": self.process is not None and self.terminated is None,
            "restartCount": self.restarts,
            "state": state,
        }


@dataclass
class RunningPod:
    runner: PodRunner
    pod: dict[str, Any]
    ip: str
    stop_requested: threading.Event = field(default_factory=threading.Event)
    deleted: threading.Event = field(default_factory=threading.Event)

    @property
    def name(self) -> str:
        return str(self.pod["metadata"]["name"])

    @property
    def namespace(self) -> str:
        return str(self.pod["metadata"]["namespace"])

    def _directory(self, container: str) -> Path:
        path = self.runner.work_dir / f"{self.namespace}_{self.name}" / container
        path.mkdir(parents=True, exist_ok=True)
        return path

    def environment(self, container: Container) -> dict[str, str]:
        venv_bin = str(Path(sys.executable).parent)
        env = {
            "PATH": f"{venv_bin}:{os.environ.get('PATH', '/usr/bin:/bin')}",
            "HOME": os.environ.get("HOME", "/tmp"),
            "LANG": "C.UTF-8",
            "HOSTNAME": self.name,
            "PYTHONUNBUFFERED": "1",
            TERMINATION_ENV: str(container.message_path),
        }
        for variable in container.spec.get("env") or []:
            name = variable["name"]
            if "value" in variable:
                env[name] = expand(str(variable["value"]), env)
            elif "fieldRef" in (variable.get("valueFrom") or {}):
                path = variable["valueFrom"]["fieldRef"]["fieldPath"]
                env[name] = field_value(self.pod, path, self.ip)
        return env

    def start(self, container: Container) -> None:
        env = self.environment(container)
        argv = [
            expand(str(a), env)
            for a in (container.spec.get("command") or []) + (container.spec.get("args") or [])
        ]
        if not argv:
            raise ValueError("the container has no command or args (images are not run here)")
        container.message_path.unlink(missing_ok=True)
        working = container.spec.get("workingDir")
        cwd = working if working and Path(working).is_dir() else str(ROOT)
        output = open(container.directory / "output.log", "ab")  # noqa: SIM115
        container.process = subprocess.Popen(
            argv,
            env=env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        output.close()
        container.started_at = now()
        container.terminated = None

    def finish(self, container: Container, code: int, reason: str | None = None) -> None:
        message = ""
        if container.message_path.exists():
            message = container.message_path.read_bytes()[:MAX_MESSAGE].decode(errors="replace")
        terminated: dict[str, Any] = {
            "exitCode": code,
            "reason": reason or ("Completed" if code == 0 else "Error"),
            "startedAt": container.started_at,
            "finishedAt": now(),
        }
        if message:
            terminated["message"] = message
        container.terminated = terminated

    def kill(self, container: Container, grace: float) -> int:
        process = container.process
        if process is None or process.poll() is not None:
            return process.returncode if process else 0
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=grace)
        except (OSError, subprocess.TimeoutExpired):
            with contextlib.suppress(OSError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        return process.returncode

    def run(self) -> None:
        try:
            self._run()
        except Exception as error:
            log.exception("pod %s/%s failed in the runner", self.namespace, self.name)
            self.runner.write_status(
                self, "Failed", [], [], reason="RunnerError", message=str(error)
            )
        finally:
            self.runner.forget(self)

    def _run(self) -> None:
        spec = self.pod["spec"]
        restart = spec.get("restartPolicy", "Always")
        deadline_seconds = spec.get("activeDeadlineSeconds")
        started = time.monotonic()
        grace = min(float(spec.get("terminationGracePeriodSeconds", 30)), 10.0)
        inits = [
            Container(c["name"], c, self._directory(c["name"]))
            for c in spec.get("initContainers") or []
        ]
        mains = [Container(c["name"], c, self._directory(c["name"])) for c in spec["containers"]]

        def over_deadline() -> bool:
            return deadline_seconds is not None and time.monotonic() - started > deadline_seconds

        for init in inits:
            self.start(init)
            self.runner.write_status(self, "Pending", inits, mains)
            while init.process is not None and init.process.poll() is None:
                if self.stop_requested.wait(0.1):
                    self.kill(init, grace)
                    return self.end()
            assert init.process is not None
            self.finish(init, init.process.returncode)
            if init.process.returncode != 0:
                self.runner.write_status(self, "Failed", inits, mains)
                return self.end()

        try:
            for container in mains:
                self.start(container)
        except (OSError, ValueError) as error:
            for container in mains:
                if container.process is None:
                    container.terminated = {
                        "exitCode": 128, "reason": "StartError", "message": str(error),
                        "startedAt": now(), "finishedAt": now(),
                    }  # fmt: skip
                else:
                    self.finish(container, self.kill(container, grace))
            self.runner.write_status(self, "Failed", inits, mains)
            return self.end()
        self.runner.write_status(self, "Running", inits, mains)

        while any(c.terminated is None for c in mains):
            if self.stop_requested.wait(0.1):
                for container in mains:
                    if container.terminated is None:
                        self.finish(container, self.kill(container, grace))
                return self.end()
            if over_deadline():
                for container in mains:
                    if container.terminated is None:
                        self.finish(container, self.kill(container, grace))
                self.runner.write_status(
                    self, "Failed", inits, mains, reason="DeadlineExceeded",
                    message=f"Pod was active on the node longer than the specified deadline "
                    f"({deadline_seconds}s)",
                )  # fmt: skip
                return self.end()
            changed = False
            for container in mains:
                process = container.process
                if container.terminated is None and process and process.poll() is not None:
                    self.finish(container, process.returncode)
                    changed = True
                    if restart == "Always" or (restart == "OnFailure" and process.returncode):
                        container.restarts += 1
                        self.start(container)
            if changed and any(c.terminated is None for c in mains):
                self.runner.write_status(self, "Running", inits, mains)
        failed = any(c.terminated and c.terminated["exitCode"] != 0 for c in mains)
        self.runner.write_status(self, "Failed" if failed else "Succeeded", inits, mains)
        return self.end()

    def end(self) -> None:
        """A pod stopped by its deletion is removed once its processes are gone."""
        if self.stop_requested.is_set():
            self.runner.remove(self)


class PodRunner:
    def __init__(self, core: client.CoreV1Api, pod_cidr: str, work_dir: Path) -> None:
        self.core = core
        self.ips = IPPool(pod_cidr)
        self.work_dir = work_dir
        self.pods: dict[str, RunningPod] = {}
        self.seen: set[str] = set()
        self.lock = threading.Lock()

    # -- status ------------------------------------------------------------------------------

    def write_status(
        self,
        pod: RunningPod,
        /,
        phase: str,
        inits: list[Container],
        mains: list[Container],
        *,
        reason: str | None = None,
        message: str | None = None,
    ) -> None:
        ready = phase == "Running" and all(c.terminated is None for c in mains)
        timestamp = now()
        conditions = [
            {"type": "PodScheduled", "status": "True", "lastTransitionTime": timestamp},
            {
                "type": "PodReadyToStartContainers",
                "status": "True",
                "lastTransitionTime": timestamp,
            },
            {
                "type": "Initialized",
                "status": "True" if all(c.terminated for c in inits) else "False",
                "lastTransitionTime": timestamp,
            },
            {"type": "ContainersReady", "status": str(ready), "lastTransitionTime": timestamp},
            {"type": "Ready", "status": str(ready), "lastTransitionTime": timestamp},
        ]
        status: dict[str, Any] = {
            "phase": phase,
            "podIP": pod.ip,
            "podIPs": [{"ip": pod.ip}],
            "hostIP": "127.0.0.1",
            "hostIPs": [{"ip": "127.0.0.1"}],
            "startTime": pod.pod.get("status", {}).get("startTime") or timestamp,
            "conditions": conditions,
            "containerStatuses": [c.status() for c in mains],
            "reason": reason,
            "message": message,
        }
        if inits:
            status["initContainerStatuses"] = [c.status(init=True) for c in inits]
        pod.pod.setdefault("status", {})["startTime"] = status["startTime"]
        for attempt in range(5):
            try:
                self.core.patch_namespaced_pod_status(pod.name, pod.namespace, {"status": status})
                return
            except ApiException as error:
                if error.status == 404:
                    return
                log.warning("status of %s (attempt %d): %s", pod.name, attempt, error.reason)
                time.sleep(0.2 * (attempt + 1))

    def remove(self, pod: RunningPod) -> None:
        """The pod's processes are gone: remove the pod object, as a kubelet does."""
        try:
            self.core.delete_namespaced_pod(
                pod.name,
                pod.namespace,
                body=client.V1DeleteOptions(
                    grace_period_seconds=0,
                    preconditions=client.V1Preconditions(uid=pod.pod["metadata"]["uid"]),
                ),
            )
        except ApiException as error:
            if error.status not in (404, 409):
                log.warning("deleting %s: %s", pod.name, error.reason)

    def forget(self, pod: RunningPod) -> None:
        with self.lock:
            self.pods.pop(pod.pod["metadata"]["uid"], None)
        self.ips.give(pod.ip)

    # -- events ------------------------------------------------------------------------------

    def handle(self, kind: str, pod: dict[str, Any]) -> None:
        uid = pod["metadata"]["uid"]
        deleting = kind == "DELETED" or pod["metadata"].get("deletionTimestamp")
        with self.lock:
            running = self.pods.get(uid)
        if deleting:
            if running is not None:
                running.stop_requested.set()
            elif kind != "DELETED" and pod["spec"].get("nodeName"):
                self.remove(RunningPod(self, pod, ip=""))
            return
        if not pod["spec"].get("nodeName") or uid in self.seen:
            return
        phase = (pod.get("status") or {}).get("phase")
        if phase in ("Succeeded", "Failed"):
            self.seen.add(uid)
            return
        self.seen.add(uid)
        running = RunningPod(self, pod, self.ips.take())
        if phase == "Running":
            # Started by an earlier runner whose processes are gone: say so.
            self.write_status(
                running,
                "Failed",
                [],
                [],
                reason="RunnerRestarted",
                message="the testbed runner restarted; the processes were lost",
            )
            self.ips.give(running.ip)
            return
        with self.lock:
            self.pods[uid] = running
        threading.Thread(target=running.run, name=f"pod-{running.name}", daemon=True).start()

    def serve(self) -> None:
        api = self.core.api_client
        while True:
            try:
                listing = self.core.list_pod_for_all_namespaces(_preload_content=False)
                body = json.loads(listing.data)
                for item in body["items"]:
                    self.handle("ADDED", item)
                version = body["metadata"]["resourceVersion"]
                stream = watch.Watch().stream(
                    self.core.list_pod_for_all_namespaces,
                    resource_version=version,
                    timeout_seconds=300,
                    allow_watch_bookmarks=True,
                    _preload_content=False,
                )
                for event in stream:
                    raw = event.get("raw_object") or api.sanitize_for_serialization(event["object"])
                    if event["type"] in ("ADDED", "MODIFIED", "DELETED"):
                        self.handle(event["type"], raw)
            except Exception:
                log.exception("watch failed; listing again")
                time.sleep(1)

    def stop_all(self) -> None:
        with self.lock:
            pods = list(self.pods.values())
        for pod in pods:
            pod.stop_requested.set()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m testbed.runner")
    parser.add_argument("--kubeconfig", required=True)
    parser.add_argument("--pod-cidr", default="127.1.0.0/16")
    parser.add_argument("--work-dir", type=Path, required=True)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    core = client.CoreV1Api(config.new_client_from_config(config_file=args.kubeconfig))
    runner = PodRunner(core, args.pod_cidr, args.work_dir)

    def terminate(signum: int, frame: object) -> None:
        runner.stop_all()
        time.sleep(1)
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, terminate)
    runner.serve()


if __name__ == "__main__":
    main()
