"""The one place that talks to the API server for the operator, with the kubernetes client.

Every call is scoped to one namespace and to the objects a sweep owns (by the label
``kubesweep.io/sweep``). Creating what exists already is not an error (names are
deterministic, so a retry after a crash finds its own object), nor is deleting what is
gone.
"""

from __future__ import annotations

import contextlib
import socket
import uuid
from datetime import UTC, datetime
from typing import Any

from kubernetes import client
from kubernetes.client.exceptions import ApiException

from kubesweep.api.models import API_GROUP, API_VERSION
from kubesweep.k8s.manifests import SWEEP_LABEL


def now_rfc3339() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Gateway:
    def __init__(self, api: client.ApiClient) -> None:
        # The client's generated types are loose (dicts stand for models): kept as Any here,
        # the one module that calls them.
        self.api: Any = api
        self.core: Any = client.CoreV1Api(api)
        self.batch: Any = client.BatchV1Api(api)
        self.custom: Any = client.CustomObjectsApi(api)

    def _plain(self, obj: Any) -> dict[str, Any]:
        plain: dict[str, Any] = self.api.sanitize_for_serialization(obj)
        return plain

    # -- reading -----------------------------------------------------------------------------

    def trials(self, namespace: str, sweep: str) -> list[dict[str, Any]]:
        listing = self.custom.list_namespaced_custom_object(
            API_GROUP,
            API_VERSION,
            namespace,
            "sweeptrials",
            label_selector=f"{SWEEP_LABEL}={sweep}",
        )
        items: list[dict[str, Any]] = listing["items"]
        return items

    def jobs(self, namespace: str, sweep: str) -> dict[str, dict[str, Any]]:
        listing = self.batch.list_namespaced_job(namespace, label_selector=f"{SWEEP_LABEL}={sweep}")
        return {job.metadata.name: self._plain(job) for job in listing.items}

    def pods(self, namespace: str, sweep: str) -> list[dict[str, Any]]:
        listing = self.core.list_namespaced_pod(namespace, label_selector=f"{SWEEP_LABEL}={sweep}")
        return [self._plain(pod) for pod in listing.items]

    # -- writing -----------------------------------------------------------------------------

    def create_trial(self, body: dict[str, Any]) -> dict[str, Any]:
        namespace, name = body["metadata"]["namespace"], body["metadata"]["name"]
        try:
            created: dict[str, Any] = self.custom.create_namespaced_custom_object(
                API_GROUP, API_VERSION, namespace, "sweeptrials", body
            )
            return created
        except ApiException as error:
            if error.status != 409:
                raise
        existing: dict[str, Any] = self.custom.get_namespaced_custom_object(
            API_GROUP, API_VERSION, namespace, "sweeptrials", name
        )
        return existing

    def create_job(self, body: dict[str, Any]) -> bool:
        """Create the Job; False when it existed already.

        Sent as plain JSON (through the generic objects API): the client's typed models
        would reject forms the API server accepts, such as ``nvidia.com/gpu: 1`` as a number.
        """
        try:
            self.custom.create_namespaced_custom_object(
                "batch", "v1", body["metadata"]["namespace"], "jobs", body
            )
        except ApiException as error:
            if error.status == 409:
                return False
            raise
        return True

    def delete_job(self, namespace: str, name: str) -> None:
        try:
            self.batch.delete_namespaced_job(
                name, namespace, body=client.V1DeleteOptions(propagation_policy="Background")
            )
        except ApiException as error:
            if error.status != 404:
                raise

    def patch_trial_status(self, namespace: str, name: str, status: dict[str, Any]) -> None:
        try:
            self.custom.patch_namespaced_custom_object_status(
                API_GROUP, API_VERSION, namespace, "sweeptrials", name, {"status": status}
            )
        except ApiException as error:
            if error.status != 404:
                raise

    def event(self, sweep: dict[str, Any], reason: str, message: str, kind: str = "Normal") -> None:
        """A Kubernetes Event (events.k8s.io/v1) about the SweepJob."""
        meta = sweep["metadata"]
        body = {
            "apiVersion": "events.k8s.io/v1",
            "kind": "Event",
            "metadata": {
                "name": f"{meta['name']}.{uuid.uuid4().hex[:12]}",
                "namespace": meta["namespace"],
            },
            "regarding": {
                "apiVersion": sweep["apiVersion"],
                "kind": sweep["kind"],
                "name": meta["name"],
                "namespace": meta["namespace"],
                "uid": meta["uid"],
            },
            "reason": reason,
            "note": message[:1024],
            "type": kind,
            "action": "Reconcile",
            "eventTime": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "reportingController": "kubesweep.io/operator",
            "reportingInstance": socket.gethostname()[:128],
        }
        with contextlib.suppress(ApiException):  # an Event is a courtesy: never fail over it
            self.custom.create_namespaced_custom_object(
                "events.k8s.io", "v1", meta["namespace"], "events", body
            )
