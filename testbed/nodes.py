"""The testbed's kwok nodes: fake machines that advertise GPUs."""

from __future__ import annotations

import time

from kubernetes import client, config
from kubernetes.client.exceptions import ApiException

GPU_RESOURCE = "nvidia.com/gpu"


def api(kubeconfig: str) -> client.ApiClient:
    return config.new_client_from_config(config_file=kubeconfig)


def node_manifest(name: str, gpus: int) -> dict[str, object]:
    capacity = {"cpu": "32", "memory": "256Gi", "pods": "110", GPU_RESOURCE: str(gpus)}
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "annotations": {"kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0"},
            "labels": {
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                "type": "kwok",
                "nvidia.com/gpu.present": "true",
            },
        },
        "spec": {},
        "status": {
            "capacity": capacity,
            "allocatable": capacity,
            "addresses": [{"type": "InternalIP", "address": "127.0.0.1"}],
        },
    }


def create_nodes(kubeconfig: str, count: int, gpus: int) -> None:
    core = client.CoreV1Api(api(kubeconfig))
    for index in range(count):
        try:
            core.create_node(node_manifest(f"kwok-gpu-{index}", gpus))
        except ApiException as error:
            if error.status != 409:
                raise


def wait_for_cluster(kubeconfig: str, nodes: int, timeout: float) -> None:
    """Every node Ready and untainted (the node lifecycle controller removes the not-ready
    taint a new node is created with), and the default ServiceAccount made."""
    core = client.CoreV1Api(api(kubeconfig))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready = [
            n
            for n in core.list_node().items
            if any(c.type == "Ready" and c.status == "True" for c in n.status.conditions or [])
            and not any(t.key.startswith("node.kubernetes.io/") for t in n.spec.taints or [])
        ]
        accounts = core.list_namespaced_service_account("default").items
        if len(ready) >= nodes and any(a.metadata.name == "default" for a in accounts):
            return
        time.sleep(0.2)
    raise RuntimeError(f"nodes or the default ServiceAccount not ready after {timeout}s")
