"""Benchmark: the hub under load, this project's hub on PostgreSQL vs a stock JupyterHub.

"hubkit" is hub/jupyterhub_config.py in local mode (NativeAuthenticator with the persistent
lockout, LocalProfileSpawner, the culler and monitoring services) keeping its state in a
throwaway PostgreSQL cluster started here (as in the tests); "stock" is the same JupyterHub
version with its default configuration: DummyAuthenticator, SimpleLocalProcessSpawner, no profile
form, SQLite, and the same configurable-http-proxy. Both run in this one process's lifetime.

For each hub: N simulated users (default 50) log in through the login form all at once (each
then creates an API token), then poll GET /hub/api/user concurrently for --rounds rounds. The
p50/p95 latencies of login and polling, and hubkit/stock ratios, are printed; timings are never
asserted. bcrypt makes NativeAuthenticator's logins slower by design (about 0.2 s of CPU each);
hubkit runs it on one thread fewer than the CPUs, so a login storm leaves the hub's event loop
(and the polls of users already in) a core of their own.

    .venv/bin/python benchmarks/hub_load.py [--users 50] [--rounds 20] [--json out.json]
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hubkit.catalog import load_catalog  # noqa: E402
from hubkit.local import LocalLayout  # noqa: E402
from tests.databases import PostgresCluster, free_port  # noqa: E402
from tests.hubserver import HubServer, default_sigint  # noqa: E402

# Generated per run: the simulated users only live in this run's throwaway hubs.
PASSWORD = "bench-" + os.urandom(12).hex()
STOCK_CONFIG = """
c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allow_all = True
c.JupyterHub.spawner_class = "simple"
"""


class StockHub:
    """JupyterHub with its defaults, on free ports, with the same proxy binary."""

    def __init__(self, tmp: Path, chp: str) -> None:
        self.tmp, self.chp = tmp, chp
        self.url = f"http://127.0.0.1:{free_port()}"
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> StockHub:
        config = self.tmp / "jupyterhub_config.py"
        config.write_text(STOCK_CONFIG)
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "jupyterhub",
                "-f",
                str(config),
                f"--JupyterHub.bind_url={self.url}",
                f"--JupyterHub.hub_bind_url=http://127.0.0.1:{free_port()}",
                f"--ConfigurableHTTPProxy.api_url=http://127.0.0.1:{free_port()}",
                f"--ConfigurableHTTPProxy.command={self.chp}",
            ],
            cwd=self.tmp,
            env={**os.environ, "CONFIGPROXY_AUTH_TOKEN": os.urandom(16).hex()},
            stdout=(self.tmp / "hub.log").open("ab"),
            stderr=subprocess.STDOUT,
            preexec_fn=default_sigint,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.url}/hub/api", timeout=2).ok:
                    return self
            except requests.ConnectionError:
                time.sleep(0.3)
        raise TimeoutError("stock hub did not start")

    def __exit__(self, *exc) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(30)

    def prepare(self, names: list[str]) -> None:
        """DummyAuthenticator accepts anyone: nothing to prepare."""


def prepare_hubkit(hub: HubServer, names: list[str]) -> None:
    """Sign everyone up and approve them (not timed)."""
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda n: hub.signup(n, PASSWORD), names))
    admin = hub.login("admin", hub.env["JUPYTER_PASSWORD"])
    for name in names:
        admin.get(f"{hub.url}/hub/authorize/{name}").raise_for_status()


def one_user(url: str, name: str, rounds: int, start_at: float) -> tuple[float, list[float]]:
    session = requests.Session()
    session.get(f"{url}/hub/login").raise_for_status()
    time.sleep(max(0.0, start_at - time.monotonic()))  # everyone logs in at the same moment
    started = time.perf_counter()
    r = session.post(
        f"{url}/hub/login",
        data={"username": name, "password": PASSWORD, "_xsrf": session.cookies["_xsrf"]},
    )
    login = time.perf_counter() - started
    if "jupyterhub-session-id" not in session.cookies:
        raise RuntimeError(f"login of {name} failed: {r.status_code} {r.url}")
    token = session.post(
        f"{url}/hub/api/users/{name}/tokens",
        json={"note": "bench"},
        headers={"X-XSRFToken": session.cookies["_xsrf"]},
    ).json()["token"]
    polls = []
    api = requests.Session()
    api.headers["Authorization"] = f"token {token}"
    for _ in range(rounds):
        started = time.perf_counter()
        api.get(f"{url}/hub/api/user").raise_for_status()
        polls.append(time.perf_counter() - started)
    return login, polls


def load(url: str, names: list[str], rounds: int) -> dict[str, dict[str, float]]:
    start_at = time.monotonic() + 2
    with ThreadPoolExecutor(len(names)) as pool:
        results = list(pool.map(lambda n: one_user(url, n, rounds, start_at), names))
    logins = [r[0] for r in results]
    polls = [p for r in results for p in r[1]]
    return {"login": percentiles(logins), "poll": percentiles(polls)}


def percentiles(values: list[float]) -> dict[str, float]:
    q = statistics.quantiles(values, n=100)
    return {"p50_ms": round(q[49] * 1000, 1), "p95_ms": round(q[94] * 1000, 1), "n": len(values)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=20, help="API polls per user")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    names = [f"bench{i:03d}" for i in range(args.users)]
    catalog = load_catalog()
    layout = LocalLayout.default(catalog)
    results = {}
    with tempfile.TemporaryDirectory(prefix="hubkit-bench-") as tmp:
        tmp = Path(tmp)
        (tmp / "hubkit").mkdir()
        (tmp / "stock").mkdir()
        with PostgresCluster() as pg:
            env = {"JUPYTERHUB_DB_URL": pg.create_database("bench")}
            with HubServer(tmp / "hubkit", catalog, layout, **env) as hub:
                prepare_hubkit(hub, names)
                results["hubkit"] = load(hub.url, names, args.rounds)
        chp = str(layout.root / "proxy" / "node_modules" / ".bin" / "configurable-http-proxy")
        with StockHub(tmp / "stock", chp) as stock:
            results["stock"] = load(stock.url, names, args.rounds)
    print(f"{args.users} users, {args.rounds} polls each (latency in ms)")
    print(f"{'':8}{'hubkit p50':>12}{'stock p50':>12}{'ratio':>8}{'hubkit p95':>12}"
          f"{'stock p95':>12}{'ratio':>8}")  # fmt: skip
    for phase in ("login", "poll"):
        h, s = results["hubkit"][phase], results["stock"][phase]
        print(
            f"{phase:8}{h['p50_ms']:>12}{s['p50_ms']:>12}{h['p50_ms'] / s['p50_ms']:>8.2f}"
            f"{h['p95_ms']:>12}{s['p95_ms']:>12}{h['p95_ms'] / s['p95_ms']:>8.2f}"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
