"""Helpers for hubkit_lab's tests: real Jupyter servers started from this Python's environment.

The servers run this Python's `jupyter_server`, so its environment's config, extensions and
assets are the ones tested (local mode's server venv, .hubkit/envs/sql).
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import gzip
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

# The repository's test helpers (standard library only), as packages/hubkit-kernel's tests use them
sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "tests"))
from databases import free_port

TOKEN = "hubkit-lab-test-token"
# The variables the hub sets for a spawned server; each test gives its own
SPAWN_VARIABLES = (
    "HUBKIT_PROFILE",
    "HUBKIT_PROFILE_NAME",
    "HUBKIT_SIZE",
    "HUBKIT_SIZE_NAME",
    "CPU_LIMIT",
    "MEM_LIMIT",
)
# The servers start without jupyter-ai, as the hub starts them with HUBKIT_AI=false (6 s less
# per start; no test here uses it): this environment's folder that switches it off goes first.
AI_OFF = Path(sys.prefix, "etc", "hubkit", "ai-off")


@dataclass
class Server:
    """A running `jupyter server` process."""

    url: str
    process: subprocess.Popen
    log: Path

    def get(self, path: str, token: bool = True, **kwargs: object) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}))  # type: ignore[call-overload]
        if token:
            headers["Authorization"] = f"token {TOKEN}"
        return requests.get(
            f"{self.url}{path}", headers=headers, timeout=30, allow_redirects=False, **kwargs
        )

    def request(
        self, method: str, path: str, token: bool = True, **kwargs: object
    ) -> requests.Response:
        """Any method, with the token (and the `json=` body, if given)."""
        headers = {"Authorization": f"token {TOKEN}"} if token else {}
        return requests.request(
            method,
            f"{self.url}{path}",
            headers=headers,
            timeout=60,
            allow_redirects=False,
            **kwargs,  # type: ignore[arg-type]
        )


@contextmanager
def jupyter_server(
    home: Path, *args: str, env: dict[str, str] | None = None, app: str = "jupyter_server"
) -> Iterator[Server]:
    """Start `python -m <app>` on a free 127.0.0.1 port with a token; stop it at the end."""
    home.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = home / "server.log"
    environ = {k: v for k, v in os.environ.items() if k not in SPAWN_VARIABLES}
    environ.update({"HOME": str(home), "JUPYTER_RUNTIME_DIR": str(home / "runtime")})
    paths = [str(AI_OFF), *filter(None, [environ.get("JUPYTER_CONFIG_PATH")])]
    environ["JUPYTER_CONFIG_PATH"] = os.pathsep.join(paths)
    environ.update(env or {})
    command = [
        sys.executable,
        "-m",
        app,
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={port}",
        f"--IdentityProvider.token={TOKEN}",
        f"--ServerApp.root_dir={home}",
        *(["--allow-root"] if os.geteuid() == 0 else []),
        *args,
    ]
    with log.open("wb") as output:
        process = subprocess.Popen(command, env=environ, stdout=output, stderr=subprocess.STDOUT)
    server = Server(f"http://127.0.0.1:{port}", process, log)
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                requests.get(f"{server.url}/api/status", timeout=1)
                break
            except requests.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"the server did not start:\n{log.read_text()[-3000:]}")
                time.sleep(0.2)
        # The start hooks run on the loop's first turn, before the first request is answered
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def gzip_beside(path: Path) -> Path:
    """path.gz as the install-time script writes it: with path's modification time."""
    packed = path.with_name(path.name + ".gz")
    packed.write_bytes(gzip.compress(path.read_bytes(), compresslevel=9, mtime=0))
    times = path.stat()
    os.utime(packed, ns=(times.st_atime_ns, times.st_mtime_ns))
    return packed
