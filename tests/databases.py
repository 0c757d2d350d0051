"""Real database servers for tests: a PostgreSQL cluster and a MariaDB server in temporary
folders, on free ports of 127.0.0.1, removed on exit.

Standard library only, so that any test suite (the hub's, packages/hubkit-kernel's) can import it
whatever its environment. Both servers come from Debian (postgresql 15, mariadb-server 10.11).
Everything here runs as root, which neither server accepts: PostgreSQL runs as the `postgres`
user through runuser (initdb refuses root), MariaDB with `--user=mysql`.
"""

# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

# Below Linux's ephemeral ports (net.ipv4.ip_local_port_range, 32768-60999), where bind(0),
# outgoing connections, kernels and the servers a hub spawns all take theirs
PORTS = range(20000, 32768)
# One slice of PORTS per pytest-xdist worker (gw0..gw7), the last for any other process
SLICES = 9
_last: dict[str, int] = {}  # the last port this process handed out


def free_port() -> int:
    """A free port of 127.0.0.1 that no other test worker, and no earlier call, hands out.

    Tests choose a port, then a server binds it later. bind(0) is not enough for that: it can
    give the same ephemeral port twice in a row (a hub's public and internal ports once came out
    equal, and its proxy fetched its own error page in a loop), and other workers, kernels and
    outgoing connections draw from the same ports meanwhile. Each worker takes ports in turn
    from its own slice, from a random start (nested test processes inherit the worker's name),
    and checks each by binding it."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    slot = int(worker[2:]) % (SLICES - 1) if worker[2:].isdigit() else SLICES - 1
    size = len(PORTS) // SLICES
    first = PORTS.start + slot * size
    port = _last.get("port") or first + int.from_bytes(os.urandom(2), "big") % size
    for _ in range(size):
        port = first + (port + 1 - first) % size
        _last["port"] = port
        with socket.socket() as s, contextlib.suppress(OSError):
            s.bind(("127.0.0.1", port))
            return port
    raise RuntimeError(f"no free port of 127.0.0.1 in {first}-{first + size - 1}")


def self_signed_certificate(folder: Path, owner: str) -> tuple[Path, Path]:
    """server.key and server.crt for 127.0.0.1 (openssl), owned by the server's user and
    readable by it alone; returns (key, certificate)."""
    key, cert = folder / "server.key", folder / "server.crt"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    for path in (key, cert):
        shutil.chown(path, owner, owner)
        path.chmod(0o600)
    return key, cert


class PostgresCluster:
    """A PostgreSQL cluster in a temporary folder, run as the postgres user (initdb refuses
    root) on a free port, trusting local TCP connections; removed on exit.

    `add_password_user` and `add_tls_only_user` prepend pg_hba.conf lines for one role, so tests
    can produce "wrong password" and "TLS required" while every other role stays trusted.
    """

    BIN = Path(os.environ.get("HUBKIT_PG_BIN", "/usr/lib/postgresql/15/bin"))

    def __init__(self) -> None:
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="hubkit-pg-"))
        self.data = self.dir / "data"

    def _run(self, *cmd: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["runuser", "-u", "postgres", "--", *cmd],
            check=True,
            capture_output=True,
            cwd=self.dir,
        )

    def __enter__(self) -> PostgresCluster:
        shutil.chown(self.dir, "postgres", "postgres")
        self._run(str(self.BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust")
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            str(self.BIN / "pg_ctl"), "-D", str(self.data), "-o", options,
            "-l", str(self.dir / "postgres.log"), "-w", "start",
        )  # fmt: skip
        return self

    def __exit__(self, *exc) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self._run(str(self.BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run SQL with psql as the superuser over the cluster's socket; returns its output.
        Several statements run in one transaction; psql's error is in the exception."""
        try:
            done = self._run(
                str(self.BIN / "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                "-h", str(self.dir), "-p", str(self.port), "-U", "postgres", "-d", database,
                "-c", sql,
            )  # fmt: skip
        except subprocess.CalledProcessError as e:
            raise RuntimeError(f"psql failed: {e.stderr.decode(errors='replace')}") from None
        return done.stdout.decode()

    def create_database(self, name: str) -> str:
        """A new, empty database; returns its SQLAlchemy URL."""
        self.psql(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def _prepend_hba(self, *lines: str) -> None:
        hba = self.data / "pg_hba.conf"
        hba.write_text("\n".join(lines) + "\n" + hba.read_text())
        self.psql("SELECT pg_reload_conf()")
        time.sleep(0.2)  # the postmaster rereads pg_hba.conf asynchronously

    def add_password_user(self, user: str, password: str) -> str:
        """A login role that must give its password over TCP (scram); returns its URL."""
        self.psql(f"CREATE ROLE \"{user}\" LOGIN PASSWORD '{password}'")
        self._prepend_hba(f"host all {user} 127.0.0.1/32 scram-sha-256")
        return (
            f"postgresql+psycopg://{user}:{quote(password, safe='')}@127.0.0.1:{self.port}/postgres"
        )

    def add_tls_only_user(self, user: str) -> str:
        """A login role that may only connect over TLS: turns TLS on with a self-signed
        certificate (openssl) and rejects the role's unencrypted connections."""
        self_signed_certificate(self.data, "postgres")
        self.psql("ALTER SYSTEM SET ssl = on")
        self.psql(f'CREATE ROLE "{user}" LOGIN')
        self._prepend_hba(
            f"hostnossl all {user} 127.0.0.1/32 reject",
            f"hostssl all {user} 127.0.0.1/32 trust",
        )
        return f"postgresql+psycopg://{user}@127.0.0.1:{self.port}/postgres"


class MariaDBServer:
    """A MariaDB server in a temporary datadir (mariadb-install-db), run with `--user=mysql` on
    a socket in that folder and a free port of 127.0.0.1; removed on exit.

    `root` has a password over TCP (`password`), so tests can produce "wrong password";
    name resolution is off so that 127.0.0.1 never maps to `root@localhost`. TLS is offered
    with a self-signed certificate (openssl) and required after `require_tls()`.
    """

    def __init__(self, password: str = "hubkit-root-pw") -> None:
        self.port = free_port()
        self.password = password
        self.dir = Path(tempfile.mkdtemp(prefix="hubkit-mariadb-"))
        self.data = self.dir / "data"
        self.socket = self.dir / "mysqld.sock"
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> MariaDBServer:
        shutil.chown(self.dir, "mysql", "mysql")
        key, cert = self_signed_certificate(self.dir, "mysql")
        subprocess.run(
            ["mariadb-install-db", "--no-defaults", "--user=mysql", f"--datadir={self.data}",
             "--auth-root-authentication-method=normal", "--skip-test-db"],
            check=True, capture_output=True, cwd=self.dir,
        )  # fmt: skip
        self.process = subprocess.Popen(
            ["mariadbd", "--no-defaults", "--user=mysql", f"--datadir={self.data}",
             f"--socket={self.socket}", f"--port={self.port}", "--bind-address=127.0.0.1",
             "--skip-name-resolve", f"--pid-file={self.dir / 'mysqld.pid'}",
             f"--log-error={self.dir / 'error.log'}", "--innodb-buffer-pool-size=64M",
             "--innodb-flush-log-at-trx-commit=0", "--skip-log-bin",
             f"--ssl-cert={cert}", f"--ssl-key={key}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while True:
            try:
                self.client("SELECT 1")
                break
            except subprocess.CalledProcessError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    log = (self.dir / "error.log").read_text(errors="replace")[-2000:]
                    self.__exit__()
                    raise RuntimeError(f"mariadbd did not start:\n{log}") from None
                time.sleep(0.2)
        pw = self.password.replace("'", "''")
        self.client(
            f"CREATE OR REPLACE USER 'root'@'127.0.0.1' IDENTIFIED BY '{pw}';"
            "GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;"
        )
        return self

    def __exit__(self, *exc) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.dir, ignore_errors=True)

    def require_tls(self, required: bool = True) -> None:
        """Refuse (or accept again) TCP connections without TLS; the socket stays open."""
        self.client(f"SET GLOBAL require_secure_transport = {'ON' if required else 'OFF'}")

    def client(self, sql: str, database: str | None = None) -> str:
        """Run SQL with the mariadb client as root over the socket; returns its output."""
        cmd = ["mariadb", "--no-defaults", f"--socket={self.socket}", "-u", "root", "-N", "-B"]
        if database:
            cmd.append(database)
        done = subprocess.run([*cmd, "-e", sql], capture_output=True)
        if done.returncode:
            raise subprocess.CalledProcessError(done.returncode, cmd, done.stdout, done.stderr)
        return done.stdout.decode()

    def url(self, database: str = "", driver: str = "mysqldb") -> str:
        """The SQLAlchemy URL of root over TCP (`driver`: mysqldb = mysqlclient, or pymysql)."""
        return (
            f"mysql+{driver}://root:{quote(self.password, safe='')}"
            f"@127.0.0.1:{self.port}/{database}"
        )

    def create_database(self, name: str) -> str:
        """A new, empty database; returns its SQLAlchemy URL."""
        self.client(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        return self.url(name)
