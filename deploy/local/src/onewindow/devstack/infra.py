"""Kafka 4.4 (KRaft, one node) and FerretDB 1.24 on PostgreSQL, on loopback, without Docker.

All are provisioned into the state folder on first use and reused afterwards:
Kafka's jars come from Maven Central through `deploy/local/kafka/pom.xml`,
FerretDB is built with Go from `deploy/local/ferretdb`, and PostgreSQL is Debian's
server (`postgresql-15`, installed by `make deps` when missing) with its own cluster
under the state folder, listening on a Unix socket only, so it never meets a
PostgreSQL that the machine already runs.

Why PostgreSQL under FerretDB and not SQLite (measured on this 2-core machine, see
the benchmark's database baseline): FerretDB's SQLite backend decodes the whole
collection for any filter other than `_id` and fails with `SQLITE_BUSY` under ~32
concurrent writers; its PostgreSQL backend pushes filters down to SQL and takes
concurrent writers without errors. SQLite stays available (`sqlite` handler) for
that comparison only.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
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
    # PostgreSQL listens on a Unix socket only; the number just names the socket file.
    postgres: int = int(os.environ.get("ONEWINDOW_POSTGRES_PORT", "5432"))


PORTS = Ports()
KAFKA = Managed("kafka")
POSTGRES = Managed("postgres", stop_signal=signal.SIGINT)
FERRETDB = Managed("ferretdb")
# The PostgreSQL role and database FerretDB stores everything in.
PG_ROLE = "onewindow"
PG_DATABASE = "ferretdb"
MAILSINK = Managed("mailsink")
MAILSINK_PORT = int(os.environ.get("ONEWINDOW_MAILSINK_PORT", "1025"))


def kafka_bootstrap() -> str:
    return f"127.0.0.1:{PORTS.kafka}"


def mongodb_url() -> str:
    return f"mongodb://127.0.0.1:{PORTS.ferretdb}/"


def _run(argv: list[str], what: str, cwd: Path | None = None, user: str | None = None) -> None:
    log.info("%s: %s", what, " ".join(argv))
    result = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False, user=user)
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
    """FerretDB's binary, built with Go from the wrapper module on first use.

    The name carries a digest of the wrapper's sources, so a changed wrapper is rebuilt.
    """
    module = project_root() / "deploy/local/ferretdb"
    digest = hashlib.sha256(
        b"".join((module / name).read_bytes() for name in ("main.go", "go.mod", "go.sum"))
    ).hexdigest()[:10]
    binary = state_dir() / "ferretdb" / f"ferretdb-{FERRETDB_VERSION}-{digest}"
    if not binary.is_file():
        if shutil.which("go") is None:
            raise RuntimeError("Go is needed once to build FerretDB")
        binary.parent.mkdir(parents=True, exist_ok=True)
        _run(
            ["go", "build", "-trimpath", "-o", str(binary.with_suffix(".partial")), "."],
            "building FerretDB",
            cwd=module,
        )
        binary.with_suffix(".partial").rename(binary)
    return binary


def _java(
    libs: Path, main: str, *args: str, heap: str = "256m", logs: Path | None = None
) -> list[str]:
    logs = logs or state_dir() / "kafka" / "logs"
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
    folder.mkdir(parents=True, exist_ok=True)  # `make bench` may come before anything
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


def postgres_bin() -> Path:
    """The folder of Debian's PostgreSQL server programs (the newest installed)."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/postgres"),
        key=lambda path: int(path.parent.parent.name) if path.parent.parent.name.isdigit() else 0,
    )
    if not found:
        raise RuntimeError(
            "the PostgreSQL server is needed: `make deps` installs Debian's postgresql-15 "
            "(apt-get install postgresql-15)"
        )
    return found[-1].parent


def postgres_version() -> str:
    """`PostgreSQL 15.18` for the server binary this stack runs."""
    text = subprocess.run(
        [str(postgres_bin() / "postgres"), "--version"], capture_output=True, text=True, check=True
    ).stdout
    match = re.search(r"\(PostgreSQL\) (\S+)", text)
    return f"PostgreSQL {match.group(1) if match else text.strip()}"


def _postgres_user() -> str | None:
    """Who PostgreSQL runs as: this user, or an unprivileged one when this is root
    (PostgreSQL refuses to run as root): Debian's `postgres`, else one made here."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "onewindow-db"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name
    _run(["useradd", "--system", "--no-create-home", "onewindow-db"], "adding a database user")
    return "onewindow-db"


def _postgres_folder(user: str | None) -> Path:
    """Where the cluster lives: under the state folder if `user` can reach it there,
    else under the temporary folder (a checkout in a folder closed to other users)."""
    folder = state_dir() / "postgres"
    if user is None:
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    shutil.chown(folder, user)
    probe = subprocess.run(["test", "-w", str(folder)], user=user, check=False)
    if probe.returncode == 0:
        return folder
    key = hashlib.sha256(str(state_dir()).encode()).hexdigest()[:12]
    fallback = Path(tempfile.gettempdir()) / f"onewindow-postgres-{key}"
    fallback.mkdir(mode=0o700, parents=True, exist_ok=True)
    shutil.chown(fallback, user)
    log.warning("%s is closed to %s; the PostgreSQL cluster lives in %s", folder, user, fallback)
    return fallback


def postgres_socket_dir() -> Path:
    """The folder holding PostgreSQL's Unix socket (written at start)."""
    pointer = state_dir() / "postgres.socket-dir"
    if pointer.is_file():
        return Path(pointer.read_text().strip())
    return state_dir() / "postgres" / "run"


def postgresql_url() -> str:
    """What FerretDB connects to: the stack's cluster over its Unix socket.

    FerretDB's update, delete and findAndModify hold one pooled connection while they
    wait for a second, so the pool must stay larger than the commands all clients have
    under way at once (`onewindow.runtime.mongo.MAX_IN_FLIGHT` each): 100, with
    PostgreSQL started for 200.
    """
    return (
        f"postgres:///{PG_DATABASE}?host={postgres_socket_dir()}"
        f"&port={PORTS.postgres}&user={PG_ROLE}&pool_max_conns=100"
    )


def start_postgres() -> None:
    """Initialise the cluster once, start it unless it runs; return once it answers."""
    bindir = postgres_bin()
    user = _postgres_user()
    folder = _postgres_folder(user)
    data, run = folder / "data", folder / "run"
    (state_dir() / "postgres.socket-dir").write_text(str(run))
    if POSTGRES.pid() is None:
        run.mkdir(parents=True, exist_ok=True)
        if user is not None:
            shutil.chown(run, user)
        if not (data / "PG_VERSION").is_file():
            shutil.rmtree(data, ignore_errors=True)
            _run(
                [
                    str(bindir / "initdb"),
                    f"--pgdata={data}",
                    f"--username={PG_ROLE}",
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--locale=C",
                ],
                "initialising the PostgreSQL cluster",
                user=user,
            )
        (run / f".s.PGSQL.{PORTS.postgres}.lock").unlink(missing_ok=True)
        POSTGRES.start(
            [
                str(bindir / "postgres"),
                "-D",
                str(data),
                "-c",
                "listen_addresses=",
                "-c",
                f"unix_socket_directories={run}",
                "-c",
                f"port={PORTS.postgres}",
                "-c",
                "max_connections=200",
                "-c",
                "shared_buffers=256MB",
                # Durable against any process crash (what the chaos runs do): every
                # commit is in the WAL before FerretDB answers. The local stack does not
                # promise survival of a power cut, so it skips the fsync to disk.
                "-c",
                "fsync=off",
                "-c",
                "full_page_writes=off",
                "-c",
                "log_min_messages=warning",
                # FerretDB binds field names as parameters; plans made for the actual
                # values let its filters use the GIN indexes of postgres/indexes.sql.
                "-c",
                "plan_cache_mode=force_custom_plan",
            ],
            user=user,
        )
    _wait_for_postgres(bindir, run)
    _ensure_database(bindir, run)


def _client(program: Path, run: Path, port: int | None = None) -> list[str]:
    return [str(program), "-h", str(run), "-p", str(port or PORTS.postgres), "-U", PG_ROLE]


def _answers(bindir: Path, run: Path, port: int | None = None) -> bool:
    ready = subprocess.run(
        [*_client(bindir / "pg_isready", run, port), "-d", "postgres"],
        capture_output=True,
        check=False,
    )
    return ready.returncode == 0


def _wait_for_postgres(bindir: Path, run: Path, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not _answers(bindir, run):
        if POSTGRES.pid() is None:
            tail = POSTGRES.log_file.read_text(errors="replace")[-2000:]
            raise RuntimeError(
                f"PostgreSQL exited during start; end of {POSTGRES.log_file}:\n{tail}"
            )
        if time.monotonic() > deadline:
            raise RuntimeError(f"PostgreSQL did not answer on {run} in {timeout:.0f}s")
        time.sleep(0.2)


def _ensure_database(
    bindir: Path, run: Path, database: str = PG_DATABASE, port: int | None = None
) -> None:
    created = subprocess.run(
        [*_client(bindir / "createdb", run, port), database],
        capture_output=True,
        text=True,
        check=False,
    )
    if created.returncode != 0 and "already exists" not in created.stderr:
        raise RuntimeError(f"creating database {database} failed: {created.stderr}")
    script = project_root() / "deploy/local/postgres/indexes.sql"
    applied = subprocess.run(
        [
            *_client(bindir / "psql", run, port),
            "-d",
            database,
            "-qv",
            "ON_ERROR_STOP=1",
            "-f",
            str(script),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if applied.returncode != 0:
        raise RuntimeError(f"applying {script} failed: {applied.stderr}")


def start_ferretdb() -> None:
    """Start PostgreSQL and FerretDB on it unless they run; return once FerretDB accepts
    connections."""
    start_postgres()
    if FERRETDB.pid() is None:
        if port_open(PORTS.ferretdb):
            raise RuntimeError(
                f"port {PORTS.ferretdb} is taken by a process this stack did not start"
            )
        FERRETDB.start(
            [
                str(ferretdb_binary()),
                f"--listen-addr=127.0.0.1:{PORTS.ferretdb}",
                "--handler=postgresql",
                f"--postgresql-url={postgresql_url()}",
            ]
        )
    wait_for_port(PORTS.ferretdb, "FerretDB", FERRETDB)


@dataclass(frozen=True)
class DedicatedFerretDB:
    """A FerretDB of one user's own (a test's) on the stack's PostgreSQL: its own port
    and its own PostgreSQL database, so it can be stopped (a database outage) and started
    again without disturbing the stack's FerretDB or anyone else's data.

    Its own PostgreSQL database, not a namespace in the stack's: FerretDB caches the
    catalogue of what it stores, so two FerretDB processes on one PostgreSQL database
    would not see each other's new collections. `pool` bounds its PostgreSQL connections
    (see `postgresql_url`: more than the commands its clients have under way at once).
    """

    name: str
    port: int
    pool: int = 60
    # A PostgreSQL cluster of its own instead of the stack's (so it can be killed too).
    postgres: DedicatedPostgres | None = None

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z0-9_]+", self.name):
            raise ValueError(f"{self.name!r}: use lower-case letters, digits and _ only")

    @property
    def managed(self) -> Managed:
        return Managed(f"ferretdb-{self.name}")

    def _socket(self) -> tuple[Path, int]:
        if self.postgres is not None:
            return self.postgres.run_dir, self.postgres.port
        return postgres_socket_dir(), PORTS.postgres

    @property
    def url(self) -> str:
        """Its MongoDB URL."""
        return f"mongodb://127.0.0.1:{self.port}/"

    @property
    def postgres_database(self) -> str:
        return f"ferretdb_{self.name}"

    def postgresql_url(self) -> str:
        run, port = self._socket()
        return (
            f"postgres:///{self.postgres_database}?host={run}"
            f"&port={port}&user={PG_ROLE}&pool_max_conns={self.pool}"
        )

    def start(self) -> None:
        """Start it (and PostgreSQL with its database, when missing) unless it runs;
        return once it accepts connections. Whatever was stored through it is kept."""
        if self.postgres is not None:
            self.postgres.start()
            run, port = self._socket()
            _ensure_database(postgres_bin(), run, self.postgres_database, port=port)
        else:
            start_postgres()
            _ensure_database(postgres_bin(), postgres_socket_dir(), self.postgres_database)
        if self.managed.pid() is None:
            if port_open(self.port):
                raise RuntimeError(f"port {self.port} is taken by another process")
            self.managed.start(
                [
                    str(ferretdb_binary()),
                    f"--listen-addr=127.0.0.1:{self.port}",
                    "--handler=postgresql",
                    f"--postgresql-url={self.postgresql_url()}",
                ]
            )
        wait_for_port(self.port, f"FerretDB {self.name}", self.managed)

    def stop(self) -> None:
        """Stop it (its clients then find no server); its data stays for `start`."""
        self.managed.stop()
        deadline = time.monotonic() + 15
        while port_open(self.port) and time.monotonic() < deadline:
            time.sleep(0.1)

    def cut_postgres_connections(self) -> int:
        """Terminate every PostgreSQL backend serving it, as a PostgreSQL restart would
        (its pooled connections break; it reconnects); return how many there were."""
        result = subprocess.run(
            [
                *_client(postgres_bin() / "psql", postgres_socket_dir()),
                "-d",
                "postgres",
                "-qAt",
                "-v",
                f"name={self.postgres_database}",
            ],
            # From standard input, where psql quotes the variable itself.
            input="SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = :'name';\n",
            capture_output=True,
            text=True,
            check=True,
        )
        return int(result.stdout.strip() or 0)

    def kill(self) -> None:
        """SIGKILL it (a crash); its data stays for `start`."""
        self.managed.kill()

    def drop(self) -> None:
        """Stop it and delete its PostgreSQL database with everything stored through it."""
        self.stop()
        if self.postgres is not None:
            self.postgres.remove()
            return
        _run(
            [
                *_client(postgres_bin() / "dropdb", postgres_socket_dir()),
                "--if-exists",
                "--force",
                self.postgres_database,
            ],
            f"dropping {self.postgres_database}",
        )


@dataclass(frozen=True)
class DedicatedPostgres:
    """A PostgreSQL cluster of one user's own (the chaos runs'): its own data folder and
    socket folder (by default under the temporary folder, which the unprivileged database
    user can reach), started like the stack's, so it can be killed and started again
    without touching the stack's cluster."""

    name: str
    folder: Path | None = None
    port: int = 5432

    @property
    def home(self) -> Path:
        return self.folder or Path(tempfile.gettempdir()) / f"onewindow-postgres-{self.name}"

    @property
    def run_dir(self) -> Path:
        return self.home / "run"

    @property
    def managed(self) -> Managed:
        return Managed(f"postgres-{self.name}", stop_signal=signal.SIGINT)

    def start(self) -> None:
        """Initialise the cluster once, start it unless it runs; return once it answers."""
        bindir = postgres_bin()
        user = _postgres_user()
        data, run = self.home / "data", self.run_dir
        for folder in (self.home, run):
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            if user is not None:
                shutil.chown(folder, user)
        if self.managed.pid() is None:
            if not (data / "PG_VERSION").is_file():
                shutil.rmtree(data, ignore_errors=True)
                _run(
                    [
                        str(bindir / "initdb"),
                        f"--pgdata={data}",
                        f"--username={PG_ROLE}",
                        "--auth=trust",
                        "--encoding=UTF8",
                        "--locale=C",
                    ],
                    f"initialising PostgreSQL {self.name}",
                    user=user,
                )
            (run / f".s.PGSQL.{self.port}.lock").unlink(missing_ok=True)
            self.managed.start(
                [
                    str(bindir / "postgres"),
                    "-D",
                    str(data),
                    "-c",
                    "listen_addresses=",
                    "-c",
                    f"unix_socket_directories={run}",
                    "-c",
                    f"port={self.port}",
                    "-c",
                    "max_connections=200",
                    "-c",
                    "shared_buffers=128MB",
                    "-c",
                    "fsync=off",
                    "-c",
                    "full_page_writes=off",
                    "-c",
                    "log_min_messages=warning",
                    "-c",
                    "plan_cache_mode=force_custom_plan",
                ],
                user=user,
            )
        deadline = time.monotonic() + 120
        while not _answers(bindir, run, self.port):
            if self.managed.pid() is None:
                tail = self.managed.log_file.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"PostgreSQL {self.name} exited during start:\n{tail}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"PostgreSQL {self.name} did not answer on {run}")
            time.sleep(0.2)

    def kill(self) -> None:
        """SIGKILL the server and every backend (a crash); its data stays for `start`."""
        self.managed.kill()

    def remove(self) -> None:
        """Stop it and delete its folder."""
        self.managed.stop()
        shutil.rmtree(self.home, ignore_errors=True)


@dataclass(frozen=True)
class DedicatedKafka:
    """A Kafka 4.4 broker of one user's own (the chaos runs'): its own ports and data
    folder, same jars and settings as the stack's, so it can be killed and started again
    without touching the stack's broker."""

    name: str
    port: int
    controller_port: int
    folder: Path

    @property
    def managed(self) -> Managed:
        return Managed(f"kafka-{self.name}")

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _config(self) -> Path:
        data, logs = self.folder / "data", self.folder / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        template = (project_root() / "deploy/local/kafka/server.properties.template").read_text()
        config = self.folder / "server.properties"
        config.write_text(
            template.replace("@KAFKA_PORT@", str(self.port))
            .replace("@CONTROLLER_PORT@", str(self.controller_port))
            .replace("@DATA_DIR@", str(data))
        )
        if not (data / "meta.properties").is_file():
            libs = kafka_libs()
            cluster_id = (
                subprocess.run(
                    _java(libs, "kafka.tools.StorageTool", "random-uuid", logs=logs),
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
                    logs=logs,
                ),
                f"formatting Kafka {self.name}",
            )
        return config

    def start(self, timeout: float = 240.0) -> None:
        """Start it unless it runs; return once it accepts connections."""
        if self.managed.pid() is None:
            if port_open(self.port):
                raise RuntimeError(f"port {self.port} is taken by another process")
            config = self._config()
            argv = _java(
                kafka_libs(), "kafka.Kafka", str(config), heap="512m", logs=self.folder / "logs"
            )
            self.managed.start(argv)
        wait_for_port(self.port, f"Kafka {self.name}", self.managed, timeout)

    def kill(self, timeout: float = 15.0) -> None:
        """SIGKILL the broker (a crash); its log stays for `start`. Returns once its port
        is closed too: under load the JVM's pid was gone while its port still accepted
        connections, so a `start` right after the kill failed ("port taken"; every Kafka
        restart of the chaos runs, each costing a retry)."""
        self.managed.kill()
        deadline = time.monotonic() + timeout
        while port_open(self.port) and time.monotonic() < deadline:
            time.sleep(0.05)

    def remove(self) -> None:
        """Stop it and delete its data."""
        self.managed.stop(timeout=30)
        shutil.rmtree(self.folder, ignore_errors=True)


def install() -> None:
    """Fetch and build what the local stack needs, without starting it."""
    kafka_libs()
    ferretdb_binary()
    postgres_bin()


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
