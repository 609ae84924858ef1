"""`make manifests-check`: render every overlay with kustomize and check it offline.

- Kubernetes' own kinds are validated against the API schemas of `KUBERNETES_VERSION`
  bundled by the `kubernetes-validate` package, strictly (unknown fields refused).
- Custom resources (Strimzi, MongoDB's operator, KEDA, the Prometheus Operator) are
  validated against the operators' published CRD schemas kept in `tools/crds/`, unknown
  fields refused too.
- Every service must have a Deployment whose container has a readiness probe on
  `/readyz`, a liveness probe on `/healthz`, CPU and memory requests and limits, topology
  spread across nodes and a stop grace longer than the consumer session timeout; a
  PodDisruptionBudget, a NetworkPolicy, a Service and a ServiceMonitor selecting it; and an
  autoscaler (KEDA on lag, at most one replica per partition; the gateway's HPA on CPU).
- No Secret is in the manifests: they are referenced, never written.

kustomize itself is pinned in `tools/kustomize/go.mod` and built once with Go into
`.state/bin` (`kustomize_binary`).

Run: `uv run --no-sync python -m deploy.k8s.tools.check`.
"""

from __future__ import annotations

import copy
import functools
import inspect
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import yaml
from aiokafka import AIOKafkaConsumer

from onewindow.contracts.topics import REGISTRY
from onewindow.devstack.services import SERVICES

ROOT = Path(__file__).resolve().parents[3]
K8S = ROOT / "deploy" / "k8s"
OVERLAYS = ("dev", "prod")
TOOL = K8S / "tools" / "kustomize"
CRDS = K8S / "tools" / "crds"
KUBERNETES_VERSION = "1.33"
GATEWAY = "gateway"
Doc = dict[str, Any]


def kustomize_binary() -> Path:
    """The pinned kustomize, built with Go on first use (its version names the file)."""
    pinned = (TOOL / "go.mod").read_text()
    version = re.search(r"sigs\.k8s\.io/kustomize/kustomize/v5 (v\S+)", pinned)
    assert version is not None, "tools/kustomize/go.mod names no kustomize version"
    binary = ROOT / ".state" / "bin" / f"kustomize-{version[1]}"
    if not binary.exists():
        binary.parent.mkdir(parents=True, exist_ok=True)
        partial = binary.with_suffix(f".{os.getpid()}.partial")  # builders may race
        go = shutil.which("go") or "/usr/local/go/bin/go"
        print(f"building kustomize {version[1]} with Go (once) ...", file=sys.stderr)
        subprocess.run(
            [go, "build", "-trimpath", "-o", str(partial), "sigs.k8s.io/kustomize/kustomize/v5"],
            cwd=TOOL,
            check=True,
            env={**os.environ, "GOFLAGS": "-mod=readonly"},
        )
        partial.rename(binary)
    return binary


@functools.cache
def render(overlay: str) -> tuple[Doc, ...]:
    """Every object of an overlay, as `kubectl apply -k` would send them."""
    output = subprocess.run(
        [str(kustomize_binary()), "build", str(K8S / "overlays" / overlay)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return tuple(doc for doc in yaml.safe_load_all(output) if doc)


def name_of(doc: Doc) -> str:
    return f"{doc['kind']}/{doc['metadata']['name']}"


@functools.cache
def crd_schemas() -> dict[tuple[str, str], Doc]:
    """(apiVersion, kind) → the strict schema of every CRD version kept in `tools/crds`."""
    schemas: dict[tuple[str, str], Doc] = {}
    for path in sorted(CRDS.glob("*.yaml")):
        for crd in yaml.safe_load_all(path.read_text()):
            if not crd or crd.get("kind") != "CustomResourceDefinition":
                continue
            group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
            for version in crd["spec"]["versions"]:
                if version.get("served", True):
                    schema = _strict(copy.deepcopy(version["schema"]["openAPIV3Schema"]))
                    schemas[(f"{group}/{version['name']}", kind)] = schema
    return schemas


def _strict(schema: Any) -> Any:
    """The schema, refusing fields it does not name (as strict field validation does)."""
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key != "properties":
                _strict(value)
            else:
                for prop in value.values():
                    _strict(prop)
        if (
            "properties" in schema
            and "additionalProperties" not in schema
            and not schema.get("x-kubernetes-preserve-unknown-fields")
        ):
            schema["additionalProperties"] = False
    elif isinstance(schema, list):
        for item in schema:
            _strict(item)
    return schema


def schema_problems(doc: Doc) -> list[str]:
    """Why `doc` is not valid for its kind's schema (empty when it is)."""
    key = (doc["apiVersion"], doc["kind"])
    if key in crd_schemas():
        spec_only = {k: v for k, v in doc.items() if k not in ("apiVersion", "kind", "metadata")}
        validator = jsonschema.Draft7Validator(crd_schemas()[key])
        return [
            f"{name_of(doc)}: {'.'.join(map(str, error.absolute_path)) or '(top)'}: {error.message}"
            for error in validator.iter_errors(spec_only)
        ]
    try:
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as error:
        path = ".".join(map(str, error.path)) or "(top)"
        return [f"{name_of(doc)}: {path}: {error.message}"]
    except kubernetes_validate.SchemaNotFoundError:
        return [f"{name_of(doc)}: no schema for {doc['apiVersion']} {doc['kind']} here"]
    return []


def selects(selector: Doc | None, labels: dict[str, str]) -> bool:
    """Whether a label selector (matchLabels and matchExpressions) matches `labels`."""
    if selector is None:
        return False
    if any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    for rule in selector.get("matchExpressions") or []:
        value, operator = labels.get(rule["key"]), rule["operator"]
        if operator == "In" and value not in rule["values"]:
            return False
        if operator == "NotIn" and value in rule["values"]:
            return False
        if operator == "Exists" and value is None:
            return False
        if operator == "DoesNotExist" and value is not None:
            return False
    return True


def of_kind(docs: tuple[Doc, ...], kind: str) -> Iterator[Doc]:
    return (doc for doc in docs if doc["kind"] == kind)


def consumer_session_timeout_s() -> float:
    """aiokafka's default session timeout, which the services keep."""
    default = inspect.signature(AIOKafkaConsumer.__init__).parameters["session_timeout_ms"]
    return float(default.default) / 1000


def service_problems(docs: tuple[Doc, ...], service: str) -> list[str]:
    """What the manifests lack for `service` to run, stop, scale and be watched safely."""
    deployments = [d for d in of_kind(docs, "Deployment") if d["metadata"]["name"] == service]
    if len(deployments) != 1:
        return [f"{service}: {len(deployments)} Deployments named so"]
    deployment = deployments[0]
    pod = deployment["spec"]["template"]
    labels, spec = pod["metadata"].get("labels", {}), pod["spec"]
    problems = []
    for container in spec["containers"]:
        where = f"{service}/{container['name']}"
        for probe, path in (("readinessProbe", "/readyz"), ("livenessProbe", "/healthz")):
            if (container.get(probe) or {}).get("httpGet", {}).get("path") != path:
                problems.append(f"{where}: no {probe} on {path}")
        resources = container.get("resources") or {}
        for bound in ("requests", "limits"):
            for resource in ("cpu", "memory"):
                if resource not in (resources.get(bound) or {}):
                    problems.append(f"{where}: no {resource} {bound[:-1]}")
    grace = spec.get("terminationGracePeriodSeconds", 30)
    if grace <= consumer_session_timeout_s():
        problems.append(f"{service}: stop grace {grace} s is not longer than the session timeout")
    spread = spec.get("topologySpreadConstraints") or []
    if not any(
        c["topologyKey"] == "kubernetes.io/hostname" and selects(c.get("labelSelector"), labels)
        for c in spread
    ):
        problems.append(f"{service}: pods not spread across nodes")
    budgets = of_kind(docs, "PodDisruptionBudget")
    if not any(selects(p["spec"]["selector"], labels) for p in budgets):
        problems.append(f"{service}: no PodDisruptionBudget")
    if not any(
        "Ingress" in p["spec"].get("policyTypes", ["Ingress"])
        and selects(p["spec"]["podSelector"], labels)
        for p in of_kind(docs, "NetworkPolicy")
    ):
        problems.append(f"{service}: no NetworkPolicy")
    services = [
        s
        for s in of_kind(docs, "Service")
        if s["spec"].get("selector") and selects({"matchLabels": s["spec"]["selector"]}, labels)
    ]
    if not services:
        problems.append(f"{service}: no Service")
    monitored = [
        m
        for m in of_kind(docs, "ServiceMonitor")
        for s in services
        if selects(m["spec"]["selector"], s["metadata"].get("labels", {}))
    ]
    if not monitored:
        problems.append(f"{service}: no ServiceMonitor")
    problems += _autoscaling_problems(docs, service)
    return problems


def _autoscaling_problems(docs: tuple[Doc, ...], service: str) -> list[str]:
    if service == GATEWAY:
        hpas = [
            h
            for h in of_kind(docs, "HorizontalPodAutoscaler")
            if h["spec"]["scaleTargetRef"]["name"] == service
        ]
        if not any(m["resource"]["name"] == "cpu" for h in hpas for m in h["spec"]["metrics"]):
            return [f"{service}: no HorizontalPodAutoscaler on CPU"]
        return []
    scalers = [
        s for s in of_kind(docs, "ScaledObject") if s["spec"]["scaleTargetRef"]["name"] == service
    ]
    if not scalers or not all(t["type"] == "kafka" for s in scalers for t in s["spec"]["triggers"]):
        return [f"{service}: no KEDA ScaledObject on consumer lag"]
    partitions = max(t.partitions for t in REGISTRY if service in t.readers)
    return [
        f"{service}: maxReplicaCount {s['spec']['maxReplicaCount']} > {partitions} partitions"
        for s in scalers
        if s["spec"]["maxReplicaCount"] > partitions
    ]


def problems(overlay: str) -> list[str]:
    """Everything wrong with one overlay (empty when it is fit to apply)."""
    docs = render(overlay)
    found = [problem for doc in docs for problem in schema_problems(doc)]
    found += [f"{name_of(d)}: a Secret's values in the manifests" for d in of_kind(docs, "Secret")]
    for service in SERVICES:
        found += service_problems(docs, service.name)
    return found


def main() -> int:
    failed = False
    for overlay in OVERLAYS:
        found = problems(overlay)
        print(f"overlays/{overlay}: {len(render(overlay))} objects, {len(found)} problems")
        for problem in found:
            print(f"  {problem}")
        failed = failed or bool(found)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
