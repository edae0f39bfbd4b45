"""deploy/ checked offline (there is no Docker engine or cluster here): the Kubernetes manifests
against the Kubernetes schemas (kubernetes-validate), the base and the production overlay as
kustomize would render it (the strategic merge of our patches is re-implemented below, for the
shapes the overlay uses), the compose file against the compose specification's schema, and the
Dockerfile and entrypoint against the rules of the image."""

import copy
import json
import re
import subprocess
from importlib.resources import files
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml
from dockerfile_parse import DockerfileParser

from tests.support import REPO

DEPLOY = REPO / "deploy"
BASE = DEPLOY / "k8s" / "base"
OVERLAY = DEPLOY / "k8s" / "overlays" / "production"
K8S_VERSION = "1.33"  # the oldest Kubernetes the manifests must run on
ROLES = {"web", "grpc", "worker", "beat", "relay", "consume", "migrate"}

Doc = dict[str, Any]


def load_docs(path: Path) -> list[Doc]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def kustomization(directory: Path) -> Doc:
    doc: Doc = yaml.safe_load((directory / "kustomization.yaml").read_text())
    return doc


def render_base() -> list[Doc]:
    return [doc for name in kustomization(BASE)["resources"] for doc in load_docs(BASE / name)]


def merge(target: Any, patch: Any) -> Any:
    """Strategic merge as kustomize applies it to our patches: maps merge key by key, lists of
    named items (containers, env) merge by name, other lists are replaced."""
    if isinstance(target, dict) and isinstance(patch, dict):
        merged = dict(target)
        for key, value in patch.items():
            merged[key] = merge(target[key], value) if key in target else copy.deepcopy(value)
        return merged
    if (
        isinstance(target, list)
        and isinstance(patch, list)
        and all(isinstance(i, dict) and "name" in i for i in target + patch)
    ):
        by_name = {item["name"]: item for item in target}
        out = [merge(by_name[item["name"]], item) if item["name"] in by_name else item for item in patch]
        return [item for item in target if item["name"] not in {p["name"] for p in patch}] + out
    return copy.deepcopy(patch)


def render_overlay() -> list[Doc]:
    spec = kustomization(OVERLAY)
    docs = render_base()
    for entry in spec["patches"]:
        patch = load_docs(OVERLAY / entry["path"])[0]
        [index] = [
            i
            for i, d in enumerate(docs)
            if (d["kind"], d["metadata"]["name"]) == (patch["kind"], patch["metadata"]["name"])
        ]
        docs[index] = merge(docs[index], patch)
    for generator in spec.get("configMapGenerator", []):
        [config] = [d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"] == generator["name"]]
        assert generator["behavior"] == "merge"
        config["data"].update(line.split("=", 1) for line in generator["literals"])
    for generator in spec["secretGenerator"]:
        example = (OVERLAY / f"{generator['envs'][0]}.example").read_text().splitlines()
        data = dict(line.split("=", 1) for line in example if line and not line.startswith("#"))
        docs.append(
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": generator["name"]},
                "type": "Opaque",
                "stringData": data,
            }
        )
    [image] = spec["images"]
    for doc in docs:
        doc["metadata"]["namespace"] = spec["namespace"]
        for container in pod_spec(doc).get("containers", []):
            if container["image"].split(":")[0] == image["name"]:
                container["image"] = f"{image['newName']}:{image['newTag']}"
    return docs


def pod_spec(doc: Doc) -> Doc:
    spec: Doc = doc.get("spec", {}).get("template", {}).get("spec", {})
    return spec


def by_kind(docs: list[Doc], kind: str) -> dict[str, Doc]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


@pytest.fixture(scope="module", params=["base", "production"])
def rendered(request: pytest.FixtureRequest) -> list[Doc]:
    return render_base() if request.param == "base" else render_overlay()


def test_every_manifest_validates_against_the_kubernetes_schemas(rendered: list[Doc]) -> None:
    for doc in rendered:
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
    broken = copy.deepcopy(by_kind(rendered, "Deployment")["commerce-web"])
    broken["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]["periodSeconds"] = "often"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, K8S_VERSION, strict=True)


def test_every_process_has_probes_resources_and_a_grace_period_that_fits(rendered: list[Doc]) -> None:
    deployments = by_kind(rendered, "Deployment")
    grace = {}
    for name, deployment in deployments.items():
        spec = pod_spec(deployment)
        [container] = spec["containers"]
        assert container["args"][0] in ROLES, name
        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
            assert probe in container, f"{name} has no {probe}"
        assert container["resources"]["requests"]["cpu"] and container["resources"]["limits"]["memory"], name
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        grace[container["args"][0]] = max(grace.get(container["args"][0], 0), spec["terminationGracePeriodSeconds"])
        refs = {ref.get("configMapRef", ref.get("secretRef"))["name"] for ref in container["envFrom"]}
        assert refs == {"commerce-config", "commerce-secrets"}, name
    web = pod_spec(deployments["commerce-web"])["containers"][0]
    assert web["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert web["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert "grpc" in pod_spec(deployments["commerce-grpc"])["containers"][0]["readinessProbe"]  # grpc.health.v1
    # Workers finish their tasks, consumers their batch, web its requests, before SIGKILL.
    assert grace["worker"] >= 120 and grace["consume"] >= 60 and grace["web"] > 30 and grace["relay"] >= 30
    assert deployments["commerce-beat"]["spec"]["replicas"] == 1
    assert deployments["commerce-beat"]["spec"]["strategy"]["type"] == "Recreate"  # never two beats
    assert deployments["commerce-relay"]["spec"]["replicas"] >= 2  # a standby


def test_autoscalers_budgets_and_services_point_at_real_deployments(rendered: list[Doc]) -> None:
    deployments = by_kind(rendered, "Deployment")
    scaled = {hpa["spec"]["scaleTargetRef"]["name"] for hpa in by_kind(rendered, "HorizontalPodAutoscaler").values()}
    assert {"commerce-web", "commerce-worker", "commerce-worker-payments"} <= scaled <= set(deployments)
    labels = [d["spec"]["template"]["metadata"]["labels"] for d in deployments.values()]
    for selector_owner in [*by_kind(rendered, "PodDisruptionBudget").values(), *by_kind(rendered, "Service").values()]:
        selector = selector_owner["spec"].get("selector", {})
        selector = selector.get("matchLabels", selector)
        assert any(selector.items() <= label.items() for label in labels), selector_owner["metadata"]["name"]
    [job] = by_kind(rendered, "Job").values()
    assert pod_spec(job)["containers"][0]["args"] == ["migrate"]


def test_consumer_deployments_run_known_groups_within_the_partition_count(rendered: list[Doc]) -> None:
    from events.consumer import discover_consumers

    [config] = by_kind(rendered, "ConfigMap").values()
    partitions = int(config["data"]["KAFKA_TOPIC_PARTITIONS"])
    consumers = [
        d for d in by_kind(rendered, "Deployment").values() if pod_spec(d)["containers"][0]["args"][0] == "consume"
    ]
    groups = {pod_spec(d)["containers"][0]["args"][1] for d in consumers}
    # Every group of the apps runs somewhere, and nothing else (tests may register groups of their own).
    apps_groups = {
        group for group, consumer in discover_consumers().items() if not consumer.__module__.startswith("tests.")
    }
    assert groups == apps_groups
    assert all(d["spec"]["replicas"] <= partitions for d in consumers)  # more would sit idle
    # Every consumer group has a disruption budget: a node drain takes one of its pods at a time.
    budgeted = {
        b["spec"]["selector"]["matchLabels"]["app.kubernetes.io/component"]
        for b in by_kind(rendered, "PodDisruptionBudget").values()
    }
    assert {d["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/component"] for d in consumers} <= budgeted


def test_the_overlay_changes_what_production_needs() -> None:
    deployments = by_kind(render_overlay(), "Deployment")
    web = deployments["commerce-web"]
    assert web["spec"]["replicas"] == 4 and web["metadata"]["namespace"] == "commerce"
    [container] = pod_spec(web)["containers"]
    assert container["image"] == "registry.example.com/commerce:1.0.0"
    assert container["resources"]["requests"]["cpu"] == "1"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"  # kept from the base
    payments = pod_spec(deployments["commerce-worker-payments"])["containers"][0]
    assert {"name": "CELERY_CONCURRENCY", "value": "8"} in payments["env"]
    assert any(e["name"] == "POD_NAME" for e in payments["env"])  # merged by name, not replaced


def test_the_compose_file_follows_the_compose_specification() -> None:
    schema = json.loads((files("check_jsonschema.builtin_schemas.vendor") / "compose-spec.json").read_text())
    validator = jsonschema.validators.validator_for(schema)(schema)
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    assert [error.message for error in validator.iter_errors(compose)] == []
    services = compose["services"]
    assert {"postgres", "redis", "kafka"} <= set(services)
    assert services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"  # KRaft
    app_roles = {s["command"][0] for s in services.values() if s.get("image") == "commerce:dev"}
    assert app_roles == ROLES
    broken = copy.deepcopy(compose)
    broken["services"]["web"]["ports"] = {"http": 8000}
    assert list(validator.iter_errors(broken))


def test_the_dockerfile_builds_one_slim_non_root_image_without_compilers() -> None:
    parser = DockerfileParser(path=str(DEPLOY / "Dockerfile"))
    stages: list[list[dict[str, Any]]] = []
    for instruction in parser.structure:
        if instruction["instruction"] == "FROM":
            stages.append([])
        if stages:
            stages[-1].append(instruction)
    assert len(stages) >= 2
    final = stages[-1]
    [base_image] = [
        i["value"] for i in parser.structure if i["instruction"] == "ARG" and i["value"].startswith("PYTHON_IMAGE=")
    ]
    assert "-slim" in base_image and final[0]["value"].startswith("${PYTHON_IMAGE}")
    final_runs = " ".join(i["value"] for i in final if i["instruction"] == "RUN")
    assert not re.search(r"build-essential|\bgcc\b|\bg\+\+|-dev\b", final_runs)
    build_runs = " ".join(i["value"] for s in stages[:-1] for i in s if i["instruction"] == "RUN")
    assert "collectstatic" in build_runs
    [user] = [i["value"] for i in final if i["instruction"] == "USER"]
    assert not user.startswith(("root", "0"))
    [entrypoint] = [json.loads(i["value"]) for i in final if i["instruction"] == "ENTRYPOINT"]
    assert entrypoint[-1] == "/app/deploy/entrypoint.sh"
    assert any(i["instruction"] == "COPY" and "--from=build" in i["value"] for i in final)


def test_the_entrypoint_starts_every_process_and_is_valid_shell() -> None:
    script = DEPLOY / "entrypoint.sh"
    assert subprocess.run(["sh", "-n", str(script)], capture_output=True).returncode == 0
    assert script.stat().st_mode & 0o111
    labels = set(re.findall(r"^\s{4}([a-z]+)\)$", script.read_text(), re.MULTILINE))
    assert labels == ROLES
    result = subprocess.run(
        [str(script), "consume"],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "PROMETHEUS_MULTIPROC_DIR": ""},
    )
    assert result.returncode != 0 and "consumer group" in result.stderr


def test_the_alert_rules_use_only_series_the_suite_exports() -> None:
    import core.metrics as m

    exported = {name for metric in vars(m).values() if hasattr(metric, "_name") for name in [metric._name]}
    exported |= {"commerce_outbox_pending_events", "commerce_outbox_oldest_pending_age_seconds"}
    rules = [
        rule
        for group in yaml.safe_load((DEPLOY / "prometheus" / "alerts.yaml").read_text())["groups"]
        for rule in group["rules"]
    ]
    assert {"OutboxBacklogAging", "ConsumerLagGrowing", "DeadLettersArriving", "PaymentFailureRateHigh"} <= {
        rule["alert"] for rule in rules
    }
    for rule in rules:
        used = set(re.findall(r"commerce_[a-z_]+", rule["expr"]))
        assert used and {re.sub(r"_(total|count|sum|bucket)$", "", name) for name in used} <= exported, rule["alert"]
