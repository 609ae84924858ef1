"""What servers a test session actually talks to, for its header."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any

from pymongo import AsyncMongoClient

from onewindow.devstack import infra


async def database_version(url: str) -> str:
    """The server's own answer to `buildInfo`: FerretDB's version when it is FerretDB."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(url, serverSelectionTimeoutMS=5000)
    try:
        info = await client.admin.command("buildInfo")
    finally:
        await client.close()
    if "ferretdbVersion" in info:
        return f"FerretDB {info['ferretdbVersion']} (MongoDB wire {info['version']})"
    return f"MongoDB {info['version']}"


def local_kafka_version() -> str:
    """The version of the running local broker, read from the jars on its class path."""
    pid = infra.KAFKA.pid()
    if pid is None:
        return "not running"
    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    classpath = cmdline[cmdline.index(b"-cp") + 1].decode()
    libs = Path(classpath.removesuffix("/*"))
    for jar in sorted(libs.glob("kafka-clients-*.jar")):
        with zipfile.ZipFile(jar) as archive:
            text = archive.read("kafka/kafka-version.properties").decode()
        if match := re.search(r"^version=(\S+)", text, re.MULTILINE):
            return f"Apache Kafka {match.group(1)} (KRaft, from the running broker's class path)"
    return "unknown"
