"""``kubesweep convert``: Azure ML sweep job YAML to a SweepJob, key by key, nothing dropped."""

from __future__ import annotations

import copy
import io
from pathlib import Path
from typing import Any

import pytest
import yaml

from kubesweep.api.azure import ConversionError, convert
from kubesweep.api.validation import validate_document
from kubesweep.cli import main

AZURE: dict[str, Any] = {
    "$schema": "https://azuremlschemas.azureedge.net/latest/sweepJob.schema.json",
    "type": "sweep",
    "name": "mnist_sweep",
    "experiment_name": "mnist",
    "compute": "azureml:gpu-cluster",
    "inputs": {"epochs": 10, "optimizer": "adam", "scale": {"type": "number", "value": 0.5}},
    "trial": {
        "code": "src",
        "command": (
            "python train.py --lr=${{search_space.lr}} --batch ${{search_space.batch}} "
            "--epochs ${{inputs.epochs}} --optimizer ${{inputs.optimizer}} "
            "--scale ${{inputs.scale}} --note 'two words'"
        ),
        "environment": "azureml:AzureML-pytorch@latest",
        "environment_variables": {"OMP_NUM_THREADS": 4},
    },
    "search_space": {
        "lr": {"type": "loguniform", "min_value": -9, "max_value": -2},
        "batch": {"type": "choice", "values": [32, 64]},
        "seed": {"type": "randint", "upper": 100},
        "dropout": {"type": "uniform", "min_value": 0.0, "max_value": 0.5},
        "width": {"type": "quniform", "min_value": 16, "max_value": 256, "q": 16},
        "decay": {"type": "qloguniform", "min_value": -9, "max_value": -2, "q": 0.0001},
        "noise": {"type": "normal", "mu": 0, "sigma": 1},
        "shift": {"type": "qnormal", "mu": 0, "sigma": 1, "q": 0.5},
        "scale2": {"type": "lognormal", "mu": 0, "sigma": 1},
        "warmup": {"type": "qlognormal", "mu": 3, "sigma": 1, "q": 10},
    },
    "sampling_algorithm": {"type": "random", "rule": "sobol", "seed": 7},
    "objective": {"goal": "Maximize", "primary_metric": "accuracy"},
    "limits": {
        "max_total_trials": 40,
        "max_concurrent_trials": 4,
        "timeout": 7200,
        "trial_timeout": 1200,
    },
    "early_termination": {
        "type": "bandit",
        "evaluation_interval": 2,
        "delay_evaluation": 5,
        "slack_factor": 0.1,
    },
}


def converted(document: dict[str, Any], **options: Any) -> dict[str, Any]:
    result = convert(document, image=options.pop("image", "ghcr.io/acme/train:1"), **options)
    assert validate_document(result.manifest) == []
    return result.manifest


def test_every_distribution_and_key_translates_and_validates() -> None:
    manifest = converted(AZURE, gpus=2)
    spec = manifest["spec"]
    assert manifest["metadata"]["name"] == "mnist-sweep"
    assert spec["searchSpace"]["lr"] == {"type": "loguniform", "minValue": -9, "maxValue": -2}
    assert spec["searchSpace"]["warmup"] == {"type": "qlognormal", "mu": 3, "sigma": 1, "q": 10}
    assert len(spec["searchSpace"]) == 10
    assert spec["samplingAlgorithm"] == {"type": "random", "rule": "sobol", "seed": 7}
    assert spec["objective"] == {"goal": "maximize", "primaryMetric": "accuracy"}
    assert spec["limits"] == {
        "maxTotalTrials": 40,
        "maxConcurrentTrials": 4,
        "timeout": 7200,
        "trialTimeout": 1200,
    }
    assert spec["earlyTermination"] == {
        "type": "bandit",
        "evaluationInterval": 2,
        "delayEvaluation": 5,
        "slackFactor": 0.1,
    }
    (container,) = spec["trial"]["template"]["spec"]["template"]["spec"]["containers"]
    assert container["image"] == "ghcr.io/acme/train:1"
    assert container["command"] == [
        "python", "train.py", "--lr=${{search_space.lr}}", "--batch", "${{search_space.batch}}",
        "--epochs", "10", "--optimizer", "adam", "--scale", "0.5", "--note", "two words",
    ]  # fmt: skip
    assert container["env"] == [{"name": "OMP_NUM_THREADS", "value": "4"}]
    assert container["resources"] == {"limits": {"nvidia.com/gpu": 2}}


@pytest.mark.parametrize(
    ("sampling", "expected"),
    [
        ("grid", {"type": "grid"}),
        ("random", {"type": "random"}),
        ("bayesian", {"type": "bayesian"}),
        (
            {"type": "random", "rule": "random", "seed": 3},
            {"type": "random", "rule": "random", "seed": 3},
        ),
        ({"type": "bayesian"}, {"type": "bayesian"}),
    ],
)
def test_each_sampling_algorithm(sampling: Any, expected: dict[str, Any]) -> None:
    document = copy.deepcopy(AZURE)
    document["sampling_algorithm"] = sampling
    if expected["type"] in ("grid", "bayesian"):
        document.pop("early_termination")
        document["search_space"] = {"batch": {"type": "choice", "values": [32, 64]}}
        document["trial"]["command"] = "python train.py --batch ${{search_space.batch}}"
    assert converted(document)["spec"]["samplingAlgorithm"] == expected


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        (
            {"type": "bandit", "slack_amount": 0.2, "delay_evaluation": 1},
            {"type": "bandit", "slackAmount": 0.2, "delayEvaluation": 1},
        ),
        (
            {"type": "median_stopping", "evaluation_interval": 1, "delay_evaluation": 5},
            {"type": "median_stopping", "evaluationInterval": 1, "delayEvaluation": 5},
        ),
        (
            {"type": "truncation_selection", "truncation_percentage": 20,
             "exclude_finished_jobs": True, "evaluation_interval": 1},
            {"type": "truncation_selection", "truncationPercentage": 20,
             "excludeFinishedJobs": True, "evaluationInterval": 1},
        ),
    ],
)  # fmt: skip
def test_each_early_termination_policy(policy: dict[str, Any], expected: dict[str, Any]) -> None:
    document = copy.deepcopy(AZURE)
    document["early_termination"] = policy
    assert converted(document)["spec"]["earlyTermination"] == expected


@pytest.mark.parametrize(
    ("change", "key"),
    [
        (lambda d: d.update(services={"x": 1}), "services"),
        (lambda d: d.update(outputs={"model": {"type": "uri_folder"}}), "outputs"),
        (lambda d: d["trial"].update(resources={"instance_count": 2}), "trial.resources"),
        (lambda d: d["trial"].update(shm_size="2g"), "trial.shm_size"),
        (lambda d: d["search_space"]["lr"].update(scale="log"), "search_space.lr.scale"),
        (lambda d: d["early_termination"].update(patience=3), "early_termination.patience"),
        (lambda d: d["limits"].update(max_nodes=2), "limits.max_nodes"),
        (lambda d: d["inputs"].update(data={"type": "uri_folder", "path": "x"}), "inputs.data"),
        (lambda d: d["inputs"].pop("epochs"), "trial.command"),
        (lambda d: d["trial"].pop("command"), "trial.command"),
        (lambda d: d.update(type="command"), "type"),
    ],
)
def test_what_cannot_be_translated_is_an_error_naming_the_key(change: Any, key: str) -> None:
    document = copy.deepcopy(AZURE)
    change(document)
    with pytest.raises(ConversionError) as caught:
        convert(document, image="x")
    assert caught.value.key == key


def test_environment_compute_and_code_become_comments(tmp_path: Path) -> None:
    path = tmp_path / "sweep.yml"
    path.write_text(yaml.safe_dump(AZURE))
    out = io.StringIO()
    assert (
        main(["convert", str(path), "--image", "ghcr.io/acme/train:1", "--gpus", "1"], out=out) == 0
    )
    text = out.getvalue()
    comments = [line for line in text.splitlines() if line.startswith("#")]
    assert any(
        "trial.environment azureml:AzureML-pytorch@latest has no Kubernetes equivalent" in c
        for c in comments
    )
    assert any("compute: azureml:gpu-cluster" in c for c in comments)
    assert any("trial.code src" in c for c in comments)
    manifest = yaml.safe_load(text)
    assert validate_document(manifest) == []
    output = tmp_path / "sweepjob.yaml"
    output.write_text(text)
    assert main(["validate", str(output)], out=io.StringIO()) == 0


def test_cli_reports_a_conversion_error_with_the_file(tmp_path: Path) -> None:
    document = copy.deepcopy(AZURE)
    document["trial"]["docker"] = {"shm_size": "1g"}
    path = tmp_path / "bad.yml"
    path.write_text(yaml.safe_dump(document))
    out = io.StringIO()
    assert main(["convert", str(path), "--image", "x"], out=out) == 1
    assert out.getvalue().startswith(f"{path}: trial.docker: has no SweepJob equivalent")
