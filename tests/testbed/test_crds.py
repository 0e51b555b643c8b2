"""The generated CRDs on a real API server: they install, the examples are accepted, and the
CEL rules reject the same bad specs as ``kubesweep validate``, with their messages."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes.client.exceptions import ApiException

from tests.testbed.conftest import Cluster
from tests.unit.conftest import EXAMPLES
from tests.unit.test_crds import BAD_SPECS, EDITS, mutate

GROUP, VERSION, PLURAL = "kubesweep.io", "v1alpha1", "sweepjobs"


def create(cluster: Cluster, namespace: str, body: dict[str, Any]) -> Any:
    """A server-side dry-run create with strict field validation, as ``kubectl`` does."""
    return cluster.custom.create_namespaced_custom_object(
        GROUP, VERSION, namespace, PLURAL, body, dry_run="All", field_validation="Strict"
    )


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_the_api_server_accepts_every_example(
    cluster: Cluster, crds: None, namespace: str, path: Path
) -> None:
    document = yaml.safe_load(path.read_text())
    created = create(cluster, namespace, document)
    assert created["spec"] == document["spec"]


@pytest.mark.parametrize("case", sorted(BAD_SPECS))
def test_the_api_server_rejects_what_validate_rejects(
    cluster: Cluster, crds: None, namespace: str, case: str
) -> None:
    change, _ = BAD_SPECS[case]
    document = mutate(change)
    document["metadata"] = {"name": "bad"}
    with pytest.raises(ApiException) as caught:
        create(cluster, namespace, document)
    # 422: the schema or a CEL rule; 400: strict decoding found an unknown field.
    assert caught.value.status in (400, 422), caught.value.body


def test_a_cel_rule_rejects_with_its_message(cluster: Cluster, crds: None, namespace: str) -> None:
    document = mutate(lambda spec: spec["earlyTermination"].update(slackAmount=0.2))
    with pytest.raises(ApiException) as caught:
        create(cluster, namespace, document)
    assert caught.value.status == 422
    assert "a bandit policy needs exactly one of slackFactor or slackAmount" in caught.value.body
    assert "spec.earlyTermination" in caught.value.body


def test_kubectl_explain_describes_the_fields(cluster: Cluster, crds: None) -> None:
    result = subprocess.run(
        [cluster.kubectl, "--kubeconfig", str(cluster.testbed.kubeconfig), "explain",
         "sweepjob.spec.earlyTermination"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert "stops poorly performing trials" in result.stdout
    assert "slackFactor" in result.stdout
    assert "truncationPercentage" in result.stdout


def test_printer_columns_and_short_names(cluster: Cluster, crds: None, namespace: str) -> None:
    document = yaml.safe_load(EXAMPLES[0].read_text())
    cluster.custom.create_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, document)
    result = subprocess.run(
        [cluster.kubectl, "--kubeconfig", str(cluster.testbed.kubeconfig), "get", "sj", "-n",
         namespace],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    header = result.stdout.splitlines()[0].split()
    assert header == ["NAME", "PHASE", "DONE", "TOTAL", "BEST", "AGE"]
    assert document["metadata"]["name"] in result.stdout


def test_the_api_server_refuses_edits_of_what_defines_the_trials(
    cluster: Cluster, crds: None, namespace: str
) -> None:
    """The transition rules run on the API server only (updates have an old object): each
    edit of ``EDITS`` is applied (dry run) to a SweepJob that exists."""
    for number, case in enumerate(sorted(EDITS)):
        name = f"edit-{number}"
        document = mutate(lambda spec: None)
        document["metadata"] = {"name": name}
        cluster.custom.create_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, document)
        current = cluster.custom.get_namespaced_custom_object(
            GROUP, VERSION, namespace, PLURAL, name
        )
        change, allowed = EDITS[case]
        edited = mutate(change)
        edited["metadata"] = {
            "name": name,
            "resourceVersion": current["metadata"]["resourceVersion"],
        }

        def replace(body: dict[str, Any] = edited, name: str = name) -> Any:
            return cluster.custom.replace_namespaced_custom_object(
                GROUP, VERSION, namespace, PLURAL, name, body,
                dry_run="All", field_validation="Strict",
            )  # fmt: skip

        if allowed:
            assert replace()["spec"] == edited["spec"], case
            continue
        with pytest.raises(ApiException) as caught:
            replace()
        assert caught.value.status == 422, (case, caught.value.body)
        assert "cannot change once the SweepJob exists" in caught.value.body, case
