"""deploy/k8s, rendered and validated offline: every overlay against the Kubernetes schemas (kubernetes-validate,
which bundles them), the same objects as `kubectl kustomize` where kubectl exists, and the manifests checked
against the application itself: probe paths are its URLs, ports are the ones its commands bind, every variable
is one settings.py reads, and the Ingress carries the gateway's limits."""

from __future__ import annotations

import copy
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
OVERLAYS = sorted(p.name for p in (K8S / "overlays").iterdir() if (p / "kustomization.yaml").is_file())
KUBERNETES_VERSION = "1.31.0"
SETTINGS = ROOT / "src" / "mutiroes" / "config" / "settings.py"
URLS = ROOT / "src" / "mutiroes" / "config" / "urls.py"
GATEWAY = ROOT / "deploy" / "nginx" / "mutiroes.conf"
APP_IMAGE, WEB_IMAGE = "mutiroes", "mutiroes-web"
# The web app's own variables (web/, not settings.py).
WEB_VARIABLES = {"API_URL", "HOSTNAME", "PORT"}

sys.path.insert(0, str(K8S))
import render  # noqa: E402


@pytest.fixture(scope="module", params=OVERLAYS)
def overlay(request: pytest.FixtureRequest) -> tuple[str, list[dict[str, Any]]]:
    return request.param, render.build(K8S / "overlays" / request.param)


def _of(documents: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in documents if d["kind"] == kind}


def _pod(document: dict[str, Any]) -> dict[str, Any]:
    return document["spec"]["template"]["spec"]


def _image(container: dict[str, Any]) -> str:
    return render._image_name(container["image"]).rsplit("/", 1)[-1]


def _app_containers(documents: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    return [(name, c) for kind in ("Deployment", "Job") for name, d in _of(documents, kind).items()
            for c in _pod(d).get("initContainers", []) + _pod(d)["containers"]]  # fmt: skip


def _settings_variables() -> set[str]:
    return set(re.findall(r"_env(?:_bool|_list)?\(\s*[\"']([A-Z][A-Z0-9_]*)[\"']", SETTINGS.read_text()))


def _option(args: list[str], name: str) -> str:
    return args[args.index(name) + 1]


# -- rendering and schemas ---------------------------------------------------------------------------


def test_there_are_dev_and_production_overlays():
    assert {"dev", "production"} <= set(OVERLAYS)


@pytest.mark.slow
def test_every_object_of_every_overlay_is_valid_for_kubernetes(overlay):
    name, documents = overlay
    assert len(documents) > 20
    for document in documents:
        kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)


def test_the_validation_catches_a_mistake(overlay):
    _, documents = overlay
    broken = copy.deepcopy(_of(documents, "Deployment")["mutiroes-api"])
    broken["spec"]["replica"] = broken["spec"].pop("replicas")  # a typo kubectl would refuse
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed: render.py alone is checked")
def test_render_gives_what_kubectl_kustomize_gives(overlay):
    name, documents = overlay
    built = subprocess.run(["kubectl", "kustomize", str(K8S / "overlays" / name)], capture_output=True, text=True,
                           check=True, timeout=60).stdout  # fmt: skip

    def by_key(docs: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
        return {(d["kind"], d["metadata"]["name"]): d for d in docs}

    assert by_key(documents) == by_key([d for d in yaml.safe_load_all(built) if d])


def test_render_refuses_what_it_does_not_implement(tmp_path):
    (tmp_path / "kustomization.yaml").write_text("resources: []\ncommonLabels: {a: b}\n")
    with pytest.raises(ValueError, match="commonLabels"):
        render.build(tmp_path)


# -- the manifests against the application --------------------------------------------------------------


def test_every_role_runs_as_a_deployment_of_the_one_image(overlay):
    _, documents = overlay
    deployments = _of(documents, "Deployment")
    commands = {name: _pod(d)["containers"][0].get("args", [None])[0] for name, d in deployments.items()}
    assert commands == {"mutiroes-api": "serve", "mutiroes-web": None, "mutiroes-worker": "worker",
                        "mutiroes-scheduler": "scheduler", "mutiroes-dashboard": "dashboard"}  # fmt: skip
    for name, container in _app_containers(documents):
        assert _image(container) == (WEB_IMAGE if name == "mutiroes-web" else APP_IMAGE), name


def test_probes_use_the_apps_endpoints_and_the_ports_its_commands_bind(overlay):
    _, documents = overlay
    urls = set(re.findall(r'path\("([a-z]+)"', URLS.read_text()))
    assert {"liveness", "readiness", "metrics"} <= urls
    for name, deployment in _of(documents, "Deployment").items():
        container = _pod(deployment)["containers"][0]
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        args = container.get("args", [])
        if "--port" in args:  # serve, dashboard: the port gunicorn binds is the one the pod declares
            assert ports["http"] == int(_option(args, "--port")) and _option(args, "--host") == "0.0.0.0", name
            assert container["livenessProbe"]["httpGet"]["path"] == "/liveness", name
            assert container["readinessProbe"]["httpGet"]["path"] == "/readiness", name
        for kind in ("livenessProbe", "readinessProbe", "startupProbe"):
            probe = container.get(kind)
            if probe is None:
                continue
            assert probe["httpGet"]["port"] in ports, f"{name} {kind}: no port named {probe['httpGet']['port']}"
            if name != "mutiroes-web":
                assert probe["httpGet"]["path"].lstrip("/") in urls, f"{name} {kind}: not a URL of the app"
        assert "livenessProbe" in container, name


def test_metrics_ports_are_the_ones_the_processes_listen_on(overlay):
    _, documents = overlay
    config = _of(documents, "ConfigMap")["mutiroes-config"]["data"]
    assert config["METRICS_HOST"] == "0.0.0.0"
    for name in ("mutiroes-worker", "mutiroes-scheduler"):
        ports = {
            p["name"]: p["containerPort"] for p in _pod(_of(documents, "Deployment")[name])["containers"][0]["ports"]
        }
        assert ports == {"metrics": int(config["METRICS_PORT"])}, name


def test_every_variable_is_one_the_app_reads(overlay):
    _, documents = overlay
    known = _settings_variables()
    given = set(_of(documents, "ConfigMap")["mutiroes-config"]["data"]) | set(
        _of(documents, "Secret")["mutiroes-secrets"]["stringData"]
    )
    assert given - known == set(), f"not read by settings.py: {sorted(given - known)}"
    for name, container in _app_containers(documents):
        env = {e["name"] for e in container.get("env", [])}
        assert env - known - (WEB_VARIABLES if name == "mutiroes-web" else set()) == set(), name
        if name != "mutiroes-web":
            sources = {next(iter(s.values()))["name"] for s in container["envFrom"]}
            assert sources == {"mutiroes-config", "mutiroes-secrets"}, name
    assert {"SECRET_KEY", "DATABASE_URL"} <= set(_of(documents, "Secret")["mutiroes-secrets"]["stringData"])
    assert _of(documents, "ConfigMap")["mutiroes-config"]["data"]["MUTIROES_MODE"] == "distributed"


def test_every_container_has_requests_and_limits(overlay):
    _, documents = overlay
    for name, container in _app_containers(documents):
        for kind in ("requests", "limits"):
            assert {"cpu", "memory"} <= set(container["resources"][kind]), f"{name}/{container['name']} {kind}"


def test_migrations_run_in_a_job_and_every_release_pod_waits_for_them(overlay):
    _, documents = overlay
    [job] = _of(documents, "Job").values()
    job_container = _pod(job)["containers"][0]
    assert job_container["args"][:1] == ["migrate"]
    for name, deployment in _of(documents, "Deployment").items():
        if name == "mutiroes-web":
            continue
        [wait] = _pod(deployment)["initContainers"]
        assert "migrate --check" in " ".join(wait["command"]) and wait["image"] == job_container["image"], name
        assert _pod(deployment)["containers"][0]["image"] == job_container["image"], name


def test_the_scheduler_runs_twice_and_is_never_drained_to_zero(overlay):
    _, documents = overlay
    assert _of(documents, "Deployment")["mutiroes-scheduler"]["spec"]["replicas"] >= 2
    assert _of(documents, "PodDisruptionBudget")["mutiroes-scheduler"]["spec"]["minAvailable"] >= 1


def test_budgets_and_autoscalers_point_at_the_deployments(overlay):
    _, documents = overlay
    deployments = _of(documents, "Deployment")
    budgets = _of(documents, "PodDisruptionBudget")
    assert set(budgets) == set(deployments)
    for name, budget in budgets.items():
        labels = deployments[name]["spec"]["template"]["metadata"]["labels"]
        assert budget["spec"]["selector"]["matchLabels"].items() <= labels.items(), name
    autoscalers = _of(documents, "HorizontalPodAutoscaler")
    assert set(autoscalers) == {"mutiroes-api", "mutiroes-worker"}
    for name, hpa in autoscalers.items():
        assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
        assert any(m["type"] == "Resource" and m["resource"]["name"] == "cpu" for m in hpa["spec"]["metrics"]), name


def test_services_and_the_ingress_reach_named_ports_of_the_pods(overlay):
    _, documents = overlay
    deployments = _of(documents, "Deployment")
    services = _of(documents, "Service")
    for name, service in services.items():
        ports = {p["name"] for p in _pod(deployments[name])["containers"][0]["ports"]}
        assert service["spec"]["selector"] == deployments[name]["spec"]["selector"]["matchLabels"]
        assert {p["targetPort"] for p in service["spec"]["ports"]} <= ports, name
    routed = set()
    for ingress in _of(documents, "Ingress").values():
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                backend = path["backend"]["service"]
                assert backend["port"]["name"] in {p["name"] for p in services[backend["name"]]["spec"]["ports"]}
                routed.add(path["path"])
    assert not any(p.startswith(("/metrics", "/liveness", "/readiness", "/health")) for p in routed), routed
    assert {"/api/", "/", "/dashboard/"} <= routed


def test_the_ingress_keeps_the_gateways_limits(overlay):
    _, documents = overlay
    conf = GATEWAY.read_text()
    rate = int(re.search(r"zone=mutiroes_rate:\S+ rate=(\d+)r/s", conf).group(1))
    burst = int(re.search(r"limit_req zone=mutiroes_rate burst=(\d+)", conf).group(1))
    connections = int(re.search(r"limit_conn mutiroes_conn (\d+);", conf).group(1))
    body = re.search(r"client_max_body_size (\d+m);", conf).group(1)
    login_rate = int(re.search(r"zone=mutiroes_login:\S+ rate=(\d+)r/m", conf).group(1))
    main, login = (_of(documents, "Ingress")[n]["metadata"]["annotations"] for n in ("mutiroes", "mutiroes-login"))
    prefix = "nginx.ingress.kubernetes.io/"
    assert int(main[prefix + "limit-rps"]) == rate
    assert int(main[prefix + "limit-rps"]) * int(main[prefix + "limit-burst-multiplier"]) == burst
    assert int(main[prefix + "limit-connections"]) == connections and main[prefix + "proxy-body-size"] == body
    assert int(login[prefix + "limit-rpm"]) == login_rate
    assert main[prefix + "proxy-next-upstream"] == "error timeout http_502"  # never non_idempotent: no POST replays


def test_network_policies_let_only_the_ingress_in_and_metrics_only_from_monitoring(overlay):
    _, documents = overlay
    policies = _of(documents, "NetworkPolicy")
    assert policies["mutiroes-default-deny"]["spec"] == {"podSelector": {}, "policyTypes": ["Ingress"]}
    deployments = _of(documents, "Deployment")

    def selected(policy: dict[str, Any]) -> set[str]:
        selector = policy["spec"]["podSelector"]
        if "matchLabels" in selector:
            wanted = selector["matchLabels"].items()
            return {n for n, d in deployments.items() if wanted <= d["spec"]["template"]["metadata"]["labels"].items()}
        [expression] = selector["matchExpressions"]
        return set(expression["values"])

    from_namespace: dict[str, set[str]] = {}
    for name, policy in policies.items():
        for rule in policy["spec"].get("ingress", []):
            ports = {p["port"] for p in rule["ports"]}
            for pod in selected(policy):
                declared = {p["name"] for p in _pod(deployments[pod])["containers"][0]["ports"]}
                assert ports <= declared, f"{name}: {pod} has no port {ports - declared}"
            for peer in rule["from"]:
                namespace = peer.get("namespaceSelector", {}).get("matchLabels", {}).get("kubernetes.io/metadata.name")
                if namespace:
                    from_namespace.setdefault(namespace, set()).update(
                        (pod, p) for pod in selected(policy) for p in ports
                    )
    assert {pod for pod, _ in from_namespace["ingress-nginx"]} == {"mutiroes-api", "mutiroes-web", "mutiroes-dashboard"}
    assert from_namespace["monitoring"] >= {("mutiroes-worker", "metrics"), ("mutiroes-scheduler", "metrics")}
    assert set(from_namespace) == {"ingress-nginx", "monitoring"}
