"""Render a deploy/k8s overlay without kustomize: the small part of kustomize these manifests use.

    python deploy/k8s/render.py deploy/k8s/overlays/production > mutiroes.yaml

``kubectl kustomize deploy/k8s/overlays/production`` (or ``kustomize build``) gives the same objects and is what
an operator uses; this exists because CI has neither (Debian's kubectl is 1.20, whose kustomize predates
``replicas`` and ``patches``) and must still render and validate every overlay. It supports ``resources``
(files and directories), ``namespace``, ``images``, ``replicas`` and ``patches`` with ``path`` (strategic merge by
kind and name: maps merged, containers/env/volumes merged by name, ports by containerPort, other lists replaced),
and refuses any other kustomization field, so a manifest that needs more fails here instead of rendering wrong.
tests/deploy/test_k8s.py compares its output with ``kubectl kustomize`` wherever kubectl exists.
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path
from typing import Any

import yaml

SUPPORTED = {"apiVersion", "kind", "resources", "namespace", "images", "replicas", "patches"}
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "PriorityClass",
                  "StorageClass", "IngressClass", "PersistentVolume"}  # fmt: skip
# Strategic-merge keys of the lists these manifests patch; any other list is replaced by the patch's.
MERGE_KEYS = {"containers": "name", "initContainers": "name", "env": "name", "volumes": "name",
              "volumeMounts": "mountPath", "ports": "containerPort", "envFrom": None}  # fmt: skip


def load_documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def build(directory: Path) -> list[dict[str, Any]]:
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text())
    unknown = set(kustomization) - SUPPORTED
    if unknown:
        raise ValueError(f"{directory}/kustomization.yaml: not supported by render.py: {sorted(unknown)}")
    documents: list[dict[str, Any]] = []
    for entry in kustomization.get("resources", []):
        path = (directory / entry).resolve()
        documents += build(path) if path.is_dir() else load_documents(path)
    for patch in kustomization.get("patches", []):
        if set(patch) != {"path"}:
            raise ValueError(f"{directory}: only file patches (path:) are supported, not {sorted(patch)}")
        for change in load_documents(directory / patch["path"]):
            _merge(_find(documents, change["kind"], change["metadata"]["name"]), change)
    for replicas in kustomization.get("replicas", []):
        _find(documents, "Deployment", replicas["name"])["spec"]["replicas"] = replicas["count"]
    for image in kustomization.get("images", []):
        for container in _containers(documents):
            if _image_name(container["image"]) == image["name"]:
                container["image"] = f"{image.get('newName', image['name'])}:{image['newTag']}"
    if "namespace" in kustomization:
        for document in documents:
            if document["kind"] not in CLUSTER_SCOPED:
                document["metadata"]["namespace"] = kustomization["namespace"]
    return documents


def _find(documents: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    found = [d for d in documents if d["kind"] == kind and d["metadata"]["name"] == name]
    if len(found) != 1:
        raise ValueError(f"{kind}/{name}: {len(found)} objects to patch")
    return found[0]


def _merge(target: dict[str, Any], change: dict[str, Any]) -> None:
    for key, value in change.items():
        current = target.get(key)
        if isinstance(value, dict) and isinstance(current, dict):
            _merge(current, value)
        elif isinstance(value, list) and isinstance(current, list) and MERGE_KEYS.get(key):
            merge_key = MERGE_KEYS[key]
            for item in value:
                same = [c for c in current if c.get(merge_key) == item.get(merge_key)]
                if same:
                    _merge(same[0], item)
                else:
                    current.append(copy.deepcopy(item))
        else:
            target[key] = copy.deepcopy(value)


def _containers(documents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found = []
    for document in documents:
        pod = document.get("spec", {}).get("template", {}).get("spec", {})
        found += pod.get("initContainers", []) + pod.get("containers", [])
    return found


def _image_name(image: str) -> str:
    name = image.split("@", 1)[0]
    return name.rsplit(":", 1)[0] if ":" in name.rsplit("/", 1)[-1] else name


def render(directory: Path) -> str:
    return yaml.safe_dump_all(build(directory), sort_keys=False)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: render.py deploy/k8s/overlays/<name>")
    sys.stdout.write(render(Path(sys.argv[1])))
