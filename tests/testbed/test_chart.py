"""The Helm chart: lint, rendered output for every mode, and an install on the testbed with
the operator running under the chart's own ServiceAccount."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client

from testbed.cluster import build_binaries
from tests.testbed.conftest import Cluster, wait_for

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "charts" / "kubesweep"


@pytest.fixture(scope="session")
def helm() -> str:
    return str(build_binaries() / "helm")


def render(helm: str, *values: str, check: bool = True) -> list[dict[str, Any]]:
    argv = [helm, "template", "ks", str(CHART), "--namespace", "kubesweep-system"]
    for value in values:
        argv += ["--set", value]
    result = subprocess.run(argv, capture_output=True, text=True, check=False)
    if check:
        assert result.returncode == 0, result.stderr
    return [d for d in yaml.safe_load_all(result.stdout) if d]


def kinds(documents: list[dict[str, Any]]) -> list[str]:
    return sorted(d["kind"] for d in documents)


def test_helm_lint_strict_passes(helm: str) -> None:
    for values in ([], ["watch.mode=namespaces", "watch.namespaces={a}", "replicaCount=2"]):
        argv = [helm, "lint", "--strict", str(CHART)] + [f"--set={v}" for v in values]
        result = subprocess.run(argv, capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stdout + result.stderr


def test_chart_crds_are_the_generated_ones() -> None:
    for path in (ROOT / "crds").glob("*.yaml"):
        copy = CHART / "files" / "crds" / path.name
        assert copy.read_text() == path.read_text(), f"{copy} is stale: run `make crds`"


def test_values_schema_is_generated_from_values_yaml() -> None:
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import chart_schema
    finally:
        sys.path.remove(str(ROOT / "tools"))
    assert (CHART / "values.schema.json").read_text() == chart_schema.generate(), (
        "values.schema.json is stale: run `make chart-schema`"
    )


def test_default_render_is_cluster_wide_with_kept_crds_and_a_locked_down_pod(helm: str) -> None:
    documents = render(helm)
    assert kinds(documents) == [
        "ClusterRole",
        "ClusterRoleBinding",
        "CustomResourceDefinition",
        "CustomResourceDefinition",
        "Deployment",
        "Service",
        "ServiceAccount",
    ]
    crds = [d for d in documents if d["kind"] == "CustomResourceDefinition"]
    for crd in crds:
        assert crd["metadata"]["annotations"] == {"helm.sh/resource-policy": "keep"}
        generated = yaml.safe_load(
            (ROOT / "crds" / f"kubesweep.io_{crd['spec']['names']['plural']}.yaml").read_text()
        )
        assert crd["spec"] == generated["spec"]
    (deployment,) = [d for d in documents if d["kind"] == "Deployment"]
    pod = deployment["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    (container,) = pod["containers"]
    assert container["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
    }
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["resources"]["limits"]["memory"] == "512Mi"
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["KUBESWEEP_PROMETHEUS_URL"] == "http://prometheus-operated.monitoring:9090"
    assert container["command"] == ["kubesweep", "operator"]
    assert not container.get("args")
    (role,) = [d for d in documents if d["kind"] == "ClusterRole"]
    resources = {r for rule in role["rules"] for r in rule["resources"]}
    assert "secrets" not in resources
    assert all("*" not in rule["verbs"] for rule in role["rules"])


def test_namespaced_mode_grants_roles_only_in_the_watched_namespaces(helm: str) -> None:
    documents = render(helm, "watch.mode=namespaces", "watch.namespaces={team-a,team-b}")
    assert "ClusterRole" not in kinds(documents)
    roles = [d for d in documents if d["kind"] == "Role"]
    assert sorted(r["metadata"]["namespace"] for r in roles) == ["team-a", "team-b"]
    (deployment,) = [d for d in documents if d["kind"] == "Deployment"]
    args = deployment["spec"]["template"]["spec"]["containers"][0]["args"]
    assert args == ["--namespace=team-a", "--namespace=team-b"]
    result = subprocess.run(
        [helm, "template", "ks", str(CHART), "--set", "watch.mode=namespaces"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode != 0
    assert "watch.namespaces must list at least one namespace" in result.stderr


def test_optional_monitors_and_crds_off(helm: str) -> None:
    documents = render(helm, "metrics.serviceMonitor.enabled=true", "trialPodMonitor.enabled=true")
    assert {"ServiceMonitor", "PodMonitor"} <= set(kinds(documents))
    (monitor,) = [d for d in documents if d["kind"] == "PodMonitor"]
    assert monitor["spec"]["podMetricsEndpoints"][0]["targetPort"] == 9464
    assert "CustomResourceDefinition" not in kinds(render(helm, "crds.enabled=false"))
    unkept = [d for d in render(helm, "crds.keep=false") if d["kind"] == "CustomResourceDefinition"]
    assert all(
        "helm.sh/resource-policy" not in (d["metadata"].get("annotations") or {}) for d in unkept
    )


def test_replicas_above_one_elect_a_leader(helm: str) -> None:
    documents = render(helm, "replicaCount=2")
    (deployment,) = [d for d in documents if d["kind"] == "Deployment"]
    assert deployment["spec"]["template"]["spec"]["containers"][0]["args"] == [
        "--peering=ks-kubesweep"
    ]
    assert "ClusterKopfPeering" in kinds(documents)


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("replicaCount=-1", "replicaCount"),
        ("watch.mode=everywhere", "/watch/mode"),
        ("imgae.tag=x", "imgae"),
    ],
)
def test_values_schema_rejects_unknown_keys_and_bad_values(
    helm: str, value: str, fragment: str
) -> None:
    argv = [helm, "template", "ks", str(CHART), "--set", value]
    result = subprocess.run(argv, capture_output=True, text=True, check=False)
    assert result.returncode != 0
    assert fragment in result.stderr


def can_i(cluster: Cluster, account: str, verb: str, resource: str, namespace: str) -> bool:
    result = subprocess.run(
        [cluster.kubectl, "--kubeconfig", str(cluster.testbed.kubeconfig), "auth", "can-i",
         verb, resource, "-n", namespace, f"--as={account}"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    return result.stdout.strip() == "yes"


@pytest.fixture
def release(cluster: Cluster, helm: str, namespace: str) -> Iterator[dict[str, str]]:
    """The chart installed in namespaced mode, watching the test's namespace. The test
    cluster's CRDs are handed over to the chart (kept on uninstall)."""
    extensions = client.ApiextensionsV1Api(cluster.api)
    for name in ("sweepjobs.kubesweep.io", "sweeptrials.kubesweep.io"):
        try:
            extensions.delete_custom_resource_definition(name)
        except client.exceptions.ApiException as error:
            if error.status != 404:
                raise
    wait_for(
        "the old CRDs to go",
        lambda: not [c for c in extensions.list_custom_resource_definition().items
                     if c.spec.group == "kubesweep.io"],
        60,
    )  # fmt: skip
    env = {**os.environ, "KUBECONFIG": str(cluster.testbed.kubeconfig)}
    argv = [
        helm, "install", "ks", str(CHART), "--namespace", "kubesweep-system",
        "--create-namespace", "--wait", "--timeout", "60s",
        "--set", "replicaCount=0", "--set", "watch.mode=namespaces",
        "--set", f"watch.namespaces={{{namespace}}}",
        "--set", f"prometheus.url={cluster.state.prometheus_url}",
    ]  # fmt: skip
    installed = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    assert installed.returncode == 0, installed.stderr
    assert "It watches SweepJobs in: " + namespace in installed.stdout  # NOTES.txt
    yield {"namespace": "kubesweep-system", "account": "ks-kubesweep", "env": json.dumps(env)}
    subprocess.run(
        [helm, "uninstall", "ks", "--namespace", "kubesweep-system", "--wait"],
        env=env, capture_output=True, check=False,
    )  # fmt: skip


def test_install_then_a_sweep_under_the_charts_identity_then_uninstall(
    cluster: Cluster, helm: str, namespace: str, release: dict[str, str], tmp_path: Path
) -> None:
    from tests.testbed.test_operator import GROUP, VERSION, finished

    home = release["namespace"]
    account = f"system:serviceaccount:{home}:{release['account']}"
    token = cluster.core.create_namespaced_service_account_token(
        release["account"], home, {"spec": {"expirationSeconds": 3600}}
    ).status.token
    kubeconfig = json.loads(cluster.testbed.kubeconfig.read_text())
    kubeconfig["users"][0]["user"] = {"token": token}
    (tmp_path / "kubeconfig").write_text(json.dumps(kubeconfig))
    log = tmp_path / "operator.log"
    env = {
        **json.loads(release["env"]),
        "KUBECONFIG": str(tmp_path / "kubeconfig"),
        "KUBESWEEP_PROMETHEUS_URL": cluster.state.prometheus_url,
        "KUBESWEEP_POLL_INTERVAL": "1",
    }
    with log.open("wb") as output:
        operator = subprocess.Popen(
            [sys.executable, "-m", "kubesweep", "operator", "--namespace", namespace],
            env=env, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        sweep = yaml.safe_load(
            (ROOT / "examples" / "digits" / "sweep-random-bandit.yaml").read_text()
        )
        name = sweep["metadata"]["name"]
        cluster.custom.create_namespaced_custom_object(
            GROUP, VERSION, namespace, "sweepjobs", sweep
        )
        status = wait_for(
            "the digits sweep to finish", lambda: finished(cluster, namespace, name), 240
        )
        assert status["phase"] == "Succeeded", log.read_text()[-3000:]
        assert status["trials"]["completed"] == sweep["spec"]["limits"]["maxTotalTrials"]
        assert status["bestTrial"]["metric"] > 0.9
    finally:
        operator.terminate()
        operator.wait(timeout=15)
    forbidden = [line for line in log.read_text().splitlines() if "Forbidden" in line]
    assert forbidden == []

    assert can_i(cluster, account, "create", "jobs.batch", namespace)
    assert can_i(cluster, account, "patch", "sweepjobs.kubesweep.io/status", namespace)
    assert not can_i(cluster, account, "get", "secrets", namespace)
    assert not can_i(cluster, account, "list", "pods", "default")
    assert not can_i(cluster, account, "create", "jobs.batch", "default")
    assert not can_i(cluster, account, "create", "pods", namespace)
    assert not can_i(cluster, account, "delete", "sweepjobs.kubesweep.io", namespace)

    env = json.loads(release["env"])
    subprocess.run(
        [helm, "uninstall", "ks", "--namespace", home, "--wait"], env=env, check=True,
        capture_output=True,
    )  # fmt: skip
    rbac = client.RbacAuthorizationV1Api(cluster.api)
    apps = client.AppsV1Api(cluster.api)
    assert apps.list_namespaced_deployment(home).items == []
    assert [a for a in cluster.core.list_namespaced_service_account(home).items
            if a.metadata.name == release["account"]] == []  # fmt: skip
    assert rbac.list_namespaced_role(namespace).items == []
    assert rbac.list_namespaced_role_binding(namespace).items == []
    extensions = client.ApiextensionsV1Api(cluster.api)
    kept = [c.metadata.name for c in extensions.list_custom_resource_definition().items]
    assert {"sweepjobs.kubesweep.io", "sweeptrials.kubesweep.io"} <= set(kept)
