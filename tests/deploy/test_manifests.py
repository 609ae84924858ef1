"""The Kubernetes manifests (deploy/k8s), checked offline as `make manifests-check` does:
every overlay renders with the pinned kustomize and validates against the Kubernetes and
the operators' schemas, nothing a service needs is missing, the generated files match
the topic registry and the bench, and the dashboard reads metrics the services export."""

from __future__ import annotations

import copy
import importlib
import json
import re
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import REGISTRY as METRICS

from deploy.k8s.tools import check, manifests
from onewindow.contracts.topics import REGISTRY, all_topic_names
from onewindow.devstack.services import SERVICES

Doc = dict[str, Any]
DASHBOARD = Path(__file__).resolve().parents[2] / "deploy/k8s/base/monitoring/dashboard.json"
# Exported by Strimzi's Kafka Exporter (the Kafka resource's `kafkaExporter`), not by us.
KAFKA_EXPORTER_METRICS = {"kafka_consumergroup_lag"}


def objects(overlay: str, kind: str) -> list[Doc]:
    return [doc for doc in check.render(overlay) if doc["kind"] == kind]


def one(overlay: str, kind: str, name: str) -> Doc:
    (found,) = [doc for doc in objects(overlay, kind) if doc["metadata"]["name"] == name]
    return found


@pytest.mark.parametrize("overlay", check.OVERLAYS)
def test_every_overlay_renders_and_validates_offline_with_nothing_missing(overlay: str) -> None:
    assert check.problems(overlay) == []


def test_the_generated_manifests_are_what_the_registry_and_the_bench_give() -> None:
    stale = [
        str(path)
        for path, content in manifests.rendered().items()
        if not path.exists() or path.read_text() != content
    ]
    assert stale == [], "run `make manifests`"


def test_an_unknown_field_is_refused_in_kubernetes_kinds_and_custom_resources() -> None:
    topic = copy.deepcopy(one("prod", "KafkaTopic", "applications.commands"))
    topic["spec"]["replicationFactor"] = 3
    deployment = copy.deepcopy(one("prod", "Deployment", "identity"))
    deployment["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}
    scaler = copy.deepcopy(one("prod", "ScaledObject", "identity"))
    scaler["spec"]["maxReplicas"] = 6

    for doc, field in ((topic, "replicationFactor"), (deployment, "readinesProbe")):
        (problem,) = check.schema_problems(doc)
        assert field in problem
    assert any("maxReplicas" in p for p in check.schema_problems(scaler))


def test_a_missing_probe_limit_pdb_or_network_policy_fails_the_check() -> None:
    docs = [copy.deepcopy(doc) for doc in check.render("prod")]
    for doc in docs:
        if doc["kind"] == "Deployment" and doc["metadata"]["name"] == "identity":
            container = doc["spec"]["template"]["spec"]["containers"][0]
            del container["livenessProbe"]
            del container["resources"]["limits"]["memory"]
    docs = [
        doc
        for doc in docs
        if not (doc["kind"] == "PodDisruptionBudget" and doc["metadata"]["name"] == "identity")
        and doc["kind"] != "NetworkPolicy"
    ]

    assert check.service_problems(tuple(docs), "identity") == [
        "identity/identity: no livenessProbe on /healthz",
        "identity/identity: no memory limit",
        "identity: no PodDisruptionBudget",
        "identity: no NetworkPolicy",
    ]


@pytest.mark.parametrize("overlay", check.OVERLAYS)
def test_kafka_is_three_kraft_brokers_and_every_topic_has_three_replicas_two_in_sync(
    overlay: str,
) -> None:
    (pool,) = objects(overlay, "KafkaNodePool")
    assert pool["spec"]["replicas"] == 3
    assert sorted(pool["spec"]["roles"]) == ["broker", "controller"]  # KRaft, no ZooKeeper
    config = one(overlay, "Kafka", "onewindow")["spec"]["kafka"]["config"]
    assert config["default.replication.factor"] == 3
    assert config["min.insync.replicas"] == 2

    topics = {t["spec"]["topicName"]: t["spec"] for t in objects(overlay, "KafkaTopic")}
    assert sorted(topics) == sorted(all_topic_names())
    for topic in REGISTRY:
        for name in (topic.name, topic.dlq):
            assert topics[name]["partitions"] == topic.partitions
            assert topics[name]["replicas"] == 3
            assert topics[name]["config"]["min.insync.replicas"] == 2


def test_each_service_writes_only_the_topics_the_registry_names_it_a_writer_of() -> None:
    users = {u["metadata"]["name"]: u for u in objects("prod", "KafkaUser")}
    for service in SERVICES:
        acls = users[service.name]["spec"]["authorization"]["acls"]
        written = {a["resource"]["name"] for a in acls if "Write" in a["operations"]}
        own = {t.name for t in REGISTRY if service.name in t.writers}
        # ... and the dead-letter twins of what it reads, where it sets records aside.
        dead_letters = {t.dlq for t in REGISTRY if service.name in t.readers}
        assert written == own | dead_letters, service.name
        # Names, not prefixes: a write ACL never reaches a topic added later.
        assert {a["resource"]["patternType"] for a in acls if "Write" in a["operations"]} == {
            "literal"
        }
    keda = users[manifests.KEDA_USER]["spec"]["authorization"]["acls"]
    assert {op for acl in keda for op in acl["operations"]} == {"Describe"}


def test_mongodb_is_a_three_member_replica_set_read_and_written_by_majority_in_prod() -> None:
    for overlay in check.OVERLAYS:
        mongodb = one(overlay, "MongoDBCommunity", "onewindow-mongodb")
        assert (mongodb["spec"]["type"], mongodb["spec"]["members"]) == ("ReplicaSet", 3)
    options = one("prod", "MongoDBCommunity", "onewindow-mongodb")["spec"]
    assert options["additionalConnectionStringConfig"] == {
        "w": "majority",
        "readConcernLevel": "majority",
    }


def test_only_the_gateway_is_reachable_from_outside_and_internal_apis_only_from_it() -> None:
    policies = objects("prod", "NetworkPolicy")
    labels = {
        s.name: one("prod", "Deployment", s.name)["spec"]["template"]["metadata"]["labels"]
        for s in SERVICES
    }

    def admitted(service: str) -> list[Doc]:
        return [
            peer
            for p in policies
            if check.selects(p["spec"]["podSelector"], labels[service])
            for rule in p["spec"].get("ingress", [])
            for peer in rule.get("from", [])
        ]

    prometheus = {"app.kubernetes.io/name": "prometheus"}
    for service in SERVICES:
        outside = [
            peer
            for peer in admitted(service.name)
            if "namespaceSelector" in peer
            and peer.get("podSelector", {}).get("matchLabels") != prometheus
        ]
        assert bool(outside) == (service.name == "gateway"), service.name
    for internal in ("identity", "work-permit", "residence-permit"):
        pods = [p["podSelector"] for p in admitted(internal) if "namespaceSelector" not in p]
        assert pods == [{"matchLabels": {"app.kubernetes.io/name": "gateway"}}], internal
    ingress = one("prod", "Ingress", "gateway")["spec"]
    assert ingress["tls"][0]["secretName"] == "gateway-tls"


def test_the_dashboard_reads_only_metrics_the_services_export() -> None:
    for module in (
        "onewindow.runtime.mongo",
        "onewindow.runtime.outages",
        "onewindow.runtime.telemetry",
        "onewindow.notifications.application.dispatch",
    ):
        importlib.import_module(module)
    exported = {
        sample_name
        for collector in list(METRICS._collector_to_names)  # every registered metric
        for sample_name in METRICS._collector_to_names[collector]
    }
    dashboard = json.loads(DASHBOARD.read_text())
    titles = {panel["title"] for panel in dashboard["panels"]}
    assert {
        "Decisions per minute",
        "p99 decision latency",
        "Consumer lag per group",
        "Dead letters (last hour)",
    } <= titles
    functions = {"sum", "rate", "increase", "histogram_quantile", "max", "by", "le"}
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            expr = re.sub(r'"[^"]*"', "", target["expr"])  # label values
            expr = re.sub(r"\{[^}]*\}|\[[^\]]*\]|\([a-z_, ]*\)\s", " ", expr)
            names = set(re.findall(r"[a-z_][a-z0-9_]*", expr)) - functions
            assert names <= exported | KAFKA_EXPORTER_METRICS, (panel["title"], names)
