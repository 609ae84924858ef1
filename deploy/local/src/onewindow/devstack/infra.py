"""Kafka 4.4 (KRaft, one node) and FerretDB 1.24 (SQLite) on loopback, without Docker.

Both are provisioned into the state folder on first use and reused afterwards:
Kafka's jars come from Maven Central through `deploy/local/kafka/pom.xml`,
FerretDB is built with Go from `deploy/local/ferretdb`.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from onewindow.devstack.paths import project_root, state_dir
from onewindow.devstack.processes import Managed

log = logging.getLogger(__name__)

KAFKA_VERSION = "4.4.0"
FERRETDB_VERSION = "v1.24.2"


@dataclass(frozen=True)
class Ports:
    kafka: int = int(os.environ.get("ONEWINDOW_KAFKA_PORT", "9092"))
    controller: int = int(os.environ.get("ONEWINDOW_KAFKA_CONTROLLER_PORT", "9093"))
    ferretdb: int = int(os.environ.get("ONEWINDOW_FERRETDB_PORT", "27017"))


PORTS = Ports()
KAFKA = Managed("kafka")
FERRETDB = Managed("ferretdb")
MAILSINK = Managed("mailsink")
MAILSINK_PORT = int(os.environ.get("ONEWINDOW_MAILSINK_PORT", "1025"))


def kafka_bootstrap() -> str:
    return f"127.0.0.1:{PORTS.kafka}"


def mongodb_url() -> str:
    return f"mongodb://127.0.0.1:{PORTS.ferretdb}/"


def _run(argv: list[str], what: str, cwd: Path | None = None) -> None:
    log.info("%s: %s", what, " ".join(argv))
    result = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(
            f"{what} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
        )


def kafka_libs() -> Path:
    """The folder of Kafka's jars, fetched with Maven on first use."""
    libs = state_dir() / "kafka" / f"libs-{KAFKA_VERSION}"
    if not (libs / f"kafka_2.13-{KAFKA_VERSION}.jar").is_file():
        if shutil.which("mvn") is None:
            raise RuntimeError("Maven (mvn) is needed once to fetch Kafka's jars")
        tmp = libs.with_suffix(".partial")
        shutil.rmtree(tmp, ignore_errors=True)
        pom = project_root() / "deploy/local/kafka/pom.xml"
        _run(
            ["mvn", "-q", "-B", "-f", str(pom), "package", f"-Dkafka.libs={tmp}"],
            "fetching Kafka jars",
        )
        shutil.rmtree(libs, ignore_errors=True)
        tmp.rename(libs)
        shutil.rmtree(project_root() / "deploy/local/kafka/target", ignore_errors=True)
    return libs


def ferretdb_binary() -> Path:
    """FerretDB's binary, built with Go from the wrapper module on first use."""
    binary = state_dir() / "ferretdb" / f"ferretdb-{FERRETDB_VERSION}"
    if not binary.is_file():
        if shutil.which("go") is None:
            raise RuntimeError("Go is needed once to build FerretDB")
        binary.parent.mkdir(parents=True, exist_ok=True)
        _run(
            ["go", "build", "-trimpath", "-o", str(binary.with_suffix(".partial")), "."],
            "building FerretDB",
            cwd=project_root() / "deploy/local/ferretdb",
        )
        binary.with_suffix(".partial").rename(binary)
    return binary


def _java(libs: Path, main: str, *args: str, heap: str = "256m") -> list[str]:
    logs = state_dir() / "kafka" / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    return [
        "java",
        f"-Xmx{heap}",
        "-XX:+UseG1GC",
        "-Djava.awt.headless=true",
        f"-Dkafka.logs.dir={logs}",
        f"-Dlog4j2.configurationFile={project_root() / 'deploy/local/kafka/log4j2.properties'}",
        "-cp",
        f"{libs}/*",
        main,
        *args,
    ]


def _kafka_config() -> Path:
    folder = state_dir() / "kafka"
    data = folder / "data"
    template = (project_root() / "deploy/local/kafka/server.properties.template").read_text()
    text = (
        template.replace("@KAFKA_PORT@", str(PORTS.kafka))
        .replace("@CONTROLLER_PORT@", str(PORTS.controller))
        .replace("@DATA_DIR@", str(data))
    )
    config = folder / "server.properties"
    config.write_text(text)
    if not (data / "meta.properties").is_file():  # formatted once, reused afterwards
        libs = kafka_libs()
        cluster_id = (
            subprocess.run(
                _java(libs, "kafka.tools.StorageTool", "random-uuid"),
                capture_output=True,
                text=True,
                check=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        _run(
            _java(
                libs,
                "kafka.tools.StorageTool",
                "format",
                "-t",
                cluster_id,
                "-c",
                str(config),
                "--standalone",
            ),
            "formatting Kafka storage",
        )
    return config


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def wait_for_port(port: int, name: str, managed: Managed, timeout: float = 240.0) -> None:
    deadline = time.monotonic() + timeout
    while not port_open(port):
        if managed.pid() is None:
            tail = managed.log_file.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"{name} exited during start; end of {managed.log_file}:\n{tail}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{name} did not open port {port} in {timeout:.0f}s")
        time.sleep(0.2)


def start_kafka() -> None:
    """Start the broker unless it runs; return once it accepts connections."""
    if KAFKA.pid() is None:
        if port_open(PORTS.kafka):
            raise RuntimeError(f"port {PORTS.kafka} is taken by a process this stack did not start")
        config = _kafka_config()
        KAFKA.start(_java(kafka_libs(), "kafka.Kafka", str(config), heap="1g"))
    wait_for_port(PORTS.kafka, "Kafka", KAFKA)


def start_ferretdb() -> None:
    """Start FerretDB unless it runs; return once it accepts connections."""
    if FERRETDB.pid() is None:
        if port_open(PORTS.ferretdb):
            raise RuntimeError(
                f"port {PORTS.ferretdb} is taken by a process this stack did not start"
            )
        data = state_dir() / "ferretdb" / "data"
        FERRETDB.start(
            [
                str(ferretdb_binary()),
                f"--listen-addr=127.0.0.1:{PORTS.ferretdb}",
                f"--sqlite-dir={data}",
            ]
        )
    wait_for_port(PORTS.ferretdb, "FerretDB", FERRETDB)


def install() -> None:
    """Fetch and build what the local stack needs, without starting it."""
    kafka_libs()
    ferretdb_binary()


def start_mailsink() -> None:
    """Start the development mail sink unless it runs."""
    import sys

    if MAILSINK.pid() is None:
        MAILSINK.start(
            [
                sys.executable,
                "-m",
                "onewindow.devstack.mailsink",
                "--port",
                str(MAILSINK_PORT),
                "--folder",
                str(state_dir() / "mail"),
            ]
        )
    wait_for_port(MAILSINK_PORT, "mail sink", MAILSINK)
