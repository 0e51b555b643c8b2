"""The testbed behaves like a cluster: Jobs run for real, GPUs are scheduled, the garbage
collector and Prometheus work."""

from __future__ import annotations

import json
import os
import urllib.parse
import urllib.request
from typing import Any

from kubernetes import client

from tests.testbed.conftest import Cluster, job_manifest, pod_manifest, wait_for

GPU = "nvidia.com/gpu"


def pods_of_job(cluster: Cluster, namespace: str, job: str) -> list[client.V1Pod]:
    selector = f"job-name={job}"
    items: list[client.V1Pod] = cluster.core.list_namespaced_pod(
        namespace, label_selector=selector
    ).items
    return items


def finished_job(cluster: Cluster, namespace: str, name: str) -> str | None:
    status = cluster.batch.read_namespaced_job_status(name, namespace).status
    for condition in status.conditions or []:
        if condition.type in ("Complete", "Failed") and condition.status == "True":
            return str(condition.type)
    return None


def test_a_job_runs_python_to_success_with_its_termination_message(
    cluster: Cluster, namespace: str
) -> None:
    script = (
        "import json, os; "
        "path = os.environ['KUBESWEEP_TERMINATION_MESSAGE_PATH']; "
        "open(path, 'w').write(json.dumps({'accuracy': 0.97, 'ip': os.environ['POD_IP']}))"
    )
    manifest = job_manifest(
        "succeeds",
        script,
        env=[{"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}}],
    )
    cluster.batch.create_namespaced_job(namespace, manifest)
    assert wait_for("the Job to finish", lambda: finished_job(cluster, namespace, "succeeds")) == (
        "Complete"
    )
    (pod,) = pods_of_job(cluster, namespace, "succeeds")
    assert pod.status.phase == "Succeeded"
    terminated = pod.status.container_statuses[0].state.terminated
    assert (terminated.exit_code, terminated.reason) == (0, "Completed")
    message = json.loads(terminated.message)
    assert message == {"accuracy": 0.97, "ip": pod.status.pod_ip}
    assert pod.status.pod_ip.startswith("127.1.")


def test_a_failing_command_fails_the_job_with_its_exit_code(
    cluster: Cluster, namespace: str
) -> None:
    cluster.batch.create_namespaced_job(namespace, job_manifest("fails", "raise SystemExit(3)"))
    assert wait_for("the Job to finish", lambda: finished_job(cluster, namespace, "fails")) == (
        "Failed"
    )
    (pod,) = pods_of_job(cluster, namespace, "fails")
    assert pod.status.phase == "Failed"
    terminated = pod.status.container_statuses[0].state.terminated
    assert (terminated.exit_code, terminated.reason) == (3, "Error")


def test_gpu_capacity_leaves_the_fifth_one_gpu_pod_pending(
    cluster: Cluster, namespace: str
) -> None:
    nodes = cluster.core.list_node().items
    assert sum(int(n.status.allocatable[GPU]) for n in nodes) == 4, "expects 2 nodes x 2 GPUs"
    for index in range(5):
        pod = pod_manifest(
            f"gpu-{index}",
            "import time; time.sleep(120)",
            container={"resources": {"limits": {GPU: "1"}}},
        )
        cluster.core.create_namespaced_pod(namespace, pod)

    def settled() -> tuple[list[client.V1Pod], list[client.V1Pod]] | None:
        pods = cluster.core.list_namespaced_pod(namespace).items
        running = [p for p in pods if p.status.phase == "Running"]
        pending = [
            p
            for p in pods
            if p.status.phase == "Pending"
            and any(c.type == "PodScheduled" and c.reason == "Unschedulable"
                    for c in p.status.conditions or [])
        ]  # fmt: skip
        return (running, pending) if len(running) == 4 and len(pending) == 1 else None

    running, pending = wait_for("4 running and 1 unschedulable pod", settled)
    condition = next(c for c in pending[0].status.conditions if c.type == "PodScheduled")
    assert condition.status == "False"
    assert f"Insufficient {GPU}" in condition.message
    assert {p.spec.node_name for p in running} == {n.metadata.name for n in nodes}


def test_deleting_a_job_removes_its_pods_and_kills_their_processes(
    cluster: Cluster, namespace: str
) -> None:
    cluster.batch.create_namespaced_job(
        namespace, job_manifest("sleeper", "import time; time.sleep(300)")
    )

    def running_pid() -> int | None:
        pods = pods_of_job(cluster, namespace, "sleeper")
        if pods and pods[0].status.phase == "Running":
            return int(pods[0].status.container_statuses[0].container_id.split("://")[1])
        return None

    pid = wait_for("the Job's pod to run", running_pid)
    os.kill(pid, 0)  # the process is alive
    cluster.batch.delete_namespaced_job(
        "sleeper", namespace, body=client.V1DeleteOptions(propagation_policy="Background")
    )
    wait_for(
        "the garbage collector to remove the pod",
        lambda: not pods_of_job(cluster, namespace, "sleeper"),
    )

    def process_gone() -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        return False

    wait_for("the pod's process to be killed", process_gone, timeout=15)


def prometheus_query(cluster: Cluster, query: str) -> list[dict[str, Any]]:
    url = f"{cluster.state.prometheus_url}/api/v1/query?" + urllib.parse.urlencode({"query": query})
    with urllib.request.urlopen(url, timeout=5) as response:
        body = json.load(response)
    assert body["status"] == "success"
    result: list[dict[str, Any]] = body["data"]["result"]
    return result


SERVE_METRIC = """
import http.server, os
class Metrics(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"testbed_demo_value 42\\n" if self.path == "/custom-metrics" else b""
        self.send_response(200 if body else 404)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.end_headers()
        self.wfile.write(body)
http.server.HTTPServer((os.environ["POD_IP"], 8000), Metrics).serve_forever()
"""


def test_prometheus_scrapes_an_annotated_pod_on_its_ip(cluster: Cluster, namespace: str) -> None:
    pod = pod_manifest(
        "exporter",
        SERVE_METRIC,
        metadata={
            "labels": {"app": "metrics-demo", "kubesweep.io/sweep": "demo"},
            "annotations": {
                "prometheus.io/scrape": "true",
                "prometheus.io/port": "8000",
                "prometheus.io/path": "/custom-metrics",
            },
        },
        container={
            "env": [{"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}}]
        },
    )
    cluster.core.create_namespaced_pod(namespace, pod)
    query = f'testbed_demo_value{{namespace="{namespace}"}}'
    (series,) = wait_for(
        "Prometheus to scrape the pod", lambda: prometheus_query(cluster, query), 60
    )
    assert series["value"][1] == "42"
    labels = series["metric"]
    assert labels["pod"] == "exporter"
    assert labels["app"] == "metrics-demo"
    assert labels["kubesweep_io_sweep"] == "demo"
    ip = cluster.core.read_namespaced_pod("exporter", namespace).status.pod_ip
    assert labels["instance"] == f"{ip}:8000"
