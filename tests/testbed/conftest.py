"""Fixtures for tests against the local testbed (see ``testbed/``).

The ``cluster`` fixture starts the testbed once per session, or reuses one that is already
up (``make testbed-up``), and stops only what it started (set KUBESWEEP_TESTBED_KEEP=1 to
keep it). Each test gets a fresh namespace.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest
import yaml
from kubernetes import client, config
from kubernetes.client.exceptions import ApiException

from kubesweep.api.crd import render_crds
from testbed.cluster import State, Testbed

T = TypeVar("T")


@dataclass
class Cluster:
    testbed: Testbed
    state: State
    api: client.ApiClient

    @property
    def core(self) -> client.CoreV1Api:
        return client.CoreV1Api(self.api)

    @property
    def batch(self) -> client.BatchV1Api:
        return client.BatchV1Api(self.api)

    @property
    def custom(self) -> client.CustomObjectsApi:
        return client.CustomObjectsApi(self.api)

    @property
    def kubectl(self) -> str:
        return os.path.join(self.state.bin_dir, "kubectl")


def wait_for(
    what: str, probe: Callable[[], T | None], timeout: float = 30.0, interval: float = 0.2
) -> T:
    """Poll ``probe`` until it returns something truthy, or fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


@pytest.fixture(scope="session")
def cluster() -> Iterator[Cluster]:
    testbed = Testbed()
    reused = testbed.is_up()
    state = testbed.up()
    api = config.new_client_from_config(config_file=str(testbed.kubeconfig))
    yield Cluster(testbed, state, api)
    api.close()
    if not reused and not os.environ.get("KUBESWEEP_TESTBED_KEEP"):
        testbed.down()


@pytest.fixture(scope="session")
def crds(cluster: Cluster) -> None:
    """The generated CRDs, installed (or updated) once per session."""
    extensions = client.ApiextensionsV1Api(cluster.api)
    for text in render_crds().values():
        crd = yaml.safe_load(text)
        name = crd["metadata"]["name"]
        try:
            existing = extensions.read_custom_resource_definition(name)
            crd["metadata"]["resourceVersion"] = existing.metadata.resource_version
            extensions.replace_custom_resource_definition(name, crd)
        except ApiException as error:
            if error.status != 404:
                raise
            extensions.create_custom_resource_definition(crd)

        def established(name: str = name) -> bool:
            conditions = extensions.read_custom_resource_definition(name).status.conditions
            return any(c.type == "Established" and c.status == "True" for c in conditions or [])

        wait_for(f"CRD {name} to be established", established)


@pytest.fixture
def namespace(cluster: Cluster) -> Iterator[str]:
    name = f"t-{uuid.uuid4().hex[:8]}"
    cluster.core.create_namespace({"metadata": {"name": name}})
    wait_for(
        "the namespace's default ServiceAccount",
        lambda: any(
            a.metadata.name == "default"
            for a in cluster.core.list_namespaced_service_account(name).items
        ),
    )
    yield name
    cluster.core.delete_namespace(name)
    wait_for(
        f"the pods of {name} to be gone",
        lambda: not cluster.core.list_namespaced_pod(name).items,
        timeout=60,
    )


def pod_manifest(name: str, script: str, **extra: Any) -> dict[str, Any]:
    """A pod whose container runs ``python -c script``."""
    container: dict[str, Any] = {
        "name": "main",
        "image": "python:3.11-slim",
        "command": ["python", "-c", script],
    }
    container.update(extra.pop("container", {}))
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, **extra.pop("metadata", {})},
        "spec": {"restartPolicy": "Never", "containers": [container], **extra},
    }


def job_manifest(name: str, script: str, **container: Any) -> dict[str, Any]:
    pod = pod_manifest(name, script, container=container)
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name},
        "spec": {"backoffLimit": 0, "template": {"spec": pod["spec"]}},
    }


def ignore_missing(call: Callable[[], object]) -> None:
    try:
        call()
    except ApiException as error:
        if error.status != 404:
            raise
