"""Benchmark: edits between collaborators on one notebook, this project's hub against stock
jupyter-collaboration on plain JupyterLab, measured in one run.

"hubkit" is hub/jupyterhub_config.py in local mode (tests.hubserver.HubServer) with alice's
python-sql server; the editors are alice and the users she shares it with, each with their own
token, through configurable-http-proxy, as in tests/hub/test_collaboration.py. "plain" is `jupyter
lab` from a venv holding only JupyterLab, jupyter-collaboration and ipykernel at the versions the
python spec pins (.hubkit/bench/plain-collab, created on first use), token login, no hub, no
proxy. Every editor is a Yjs client (tests/collab.py) in this one process, so both variants pay
the same client costs.

- Latency, for 2, 5 and 10 editors on a fresh notebook (one cell each): every editor types
  --keys keystrokes into its cell at --rate keystrokes a second (a random phase each); every
  other editor notes when each keystroke arrives in its document. p50 and p95 over all
  (keystroke, receiver) pairs; the variants alternate which goes first.
- A long session, then memory and the YStore: --docs notebooks, two editors each, type for a
  simulated --minutes (default an hour) at one keystroke a second each, with a backspace every
  tenth, scaled down by --speedup (default 60: an hour in one minute; the server sees the same
  number of updates, sooner). Then, with the documents still open: the growth of the server
  process's RSS since before the session, per open document, and the size of the YStore file
  (whatever the server is configured with; its path is printed) and of the notebook files.

Timings are printed, never asserted. Target: latency ratios <= 1.1x.

    .venv/bin/python benchmarks/collab_latency.py [--editors 2 5 10] [--keys 40] [--rate 5]
        [--docs 3] [--minutes 60] [--speedup 60] [--json out.json]
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psutil
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.hub_load import percentiles  # noqa: E402
from benchmarks.lab_overhead import ensure_plain_venv, plain_requirements  # noqa: E402
from hubkit.catalog import load_catalog  # noqa: E402
from hubkit.local import LocalLayout, profile_status  # noqa: E402
from tests.collab import Editor  # noqa: E402
from tests.databases import free_port  # noqa: E402
from tests.hubserver import HubServer  # noqa: E402

PLAIN_PACKAGES = ("jupyterlab", "jupyter-collaboration", "ipykernel")
OWNER = "alice"


@dataclass
class Server:
    """One variant's Jupyter server: where editors connect, their tokens, its process."""

    name: str
    url: str  # the server's base URL
    tokens: list[str]  # one per editor, the owner's first
    process: psutil.Process
    home: Path

    def put_notebook(self, path: str, cells: int) -> None:
        cell = {"cell_type": "code", "source": "", "metadata": {}, "outputs": []}
        notebook = {
            "cells": [{**cell, "execution_count": None} for _ in range(cells)],
            "metadata": {},
            "nbformat": 4,
            "nbformat_minor": 5,
        }
        r = requests.put(
            f"{self.url}/api/contents/{path}",
            json={"type": "notebook", "content": notebook},
            headers={"Authorization": f"token {self.tokens[0]}"},
            timeout=60,
        )
        r.raise_for_status()


# --- The variants ---------------------------------------------------------------------------
def hubkit_server(hub: HubServer, editors: int, profile: str) -> Server:
    """alice's server on the project's hub, shared with editors-1 users."""
    tokens = []
    for i in range(editors):
        name = OWNER if i == 0 else f"editor{i}"
        tokens.append(hub.add_account(name, f"{name}-Pass-12345")[1])
        if i:
            r = hub.api("POST", f"/shares/{OWNER}/", tokens[0], json={"user": name})
            r.raise_for_status()
    hub.spawn(OWNER, tokens[0], {"profile": profile})
    url = f"{hub.url}/user/{OWNER}"

    def everyone_in() -> bool:
        return all(
            requests.get(
                f"{url}/api/contents", headers={"Authorization": f"token {t}"}, timeout=30
            ).ok
            for t in tokens
        )

    hub.wait_for(everyone_in, 60, "every editor let in")
    (process,) = hub.server_processes()
    return Server("hubkit", url, tokens, process, Path(hub.env["HUBKIT_HOMES_DIR"]) / OWNER)


def plain_server(venv: Path, home: Path, log: Path) -> tuple[Server, subprocess.Popen]:
    """Stock `jupyter lab` with jupyter-collaboration, one token for everyone."""
    token, port = os.urandom(16).hex(), free_port()
    process = subprocess.Popen(
        [
            str(venv / "bin" / "jupyter"),
            "lab",
            "--no-browser",
            f"--port={port}",
            "--ServerApp.ip=127.0.0.1",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={home}",
            *(["--allow-root"] if os.geteuid() == 0 else []),
        ],
        cwd=home,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{url}/api/status?token={token}", timeout=2).ok:
                break
        except requests.ConnectionError:
            pass
        time.sleep(0.3)
    else:
        raise TimeoutError(f"plain JupyterLab did not answer within 120 s: {log}")
    return Server("plain", url, [token] * 10, psutil.Process(process.pid), home), process


# --- Measurements ---------------------------------------------------------------------------
async def latency(server: Server, editors: int, keys: int, rate: float) -> list[float]:
    """Seconds from each keystroke to its arrival at each other editor."""
    path = f"latency-{editors}-{os.urandom(3).hex()}.ipynb"
    server.put_notebook(path, editors)
    sent: dict[tuple[int, int], float] = {}
    arrivals: list[float] = []
    clients = [Editor(server.url, server.tokens[i], path) for i in range(editors)]
    for client in clients:
        await client.connect()

    def watcher(me: int):
        seen = [0] * editors

        def on_change(_events) -> None:
            now = time.perf_counter()
            for cell in range(editors):
                if cell == me:
                    continue
                n = len(clients[me].notebook.ycells[cell]["source"])
                for j in range(seen[cell], n):
                    arrivals.append(now - sent[(cell, j)])
                seen[cell] = n

        return on_change

    for i, client in enumerate(clients):
        client.notebook.ycells.observe_deep(watcher(i))

    async def typist(i: int) -> None:
        await asyncio.sleep(random.uniform(0, 1 / rate))
        for j in range(keys):
            sent[(i, j)] = time.perf_counter()
            clients[i].key(i, "abcdefghij"[j % 10])
            await asyncio.sleep(1 / rate)

    await asyncio.gather(*(typist(i) for i in range(editors)))
    expected = keys * (editors - 1) * editors
    deadline = time.monotonic() + 60
    while len(arrivals) < expected and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    for client in clients:
        await client.disconnect()
    if len(arrivals) < expected:
        raise RuntimeError(f"{server.name}: {len(arrivals)} of {expected} keystrokes arrived")
    return arrivals


def tree_rss(process: psutil.Process) -> int:
    return sum(p.memory_info().rss for p in [process, *process.children(recursive=True)])


def ystores(server: Server) -> dict[str, int]:
    """The YStore files the server wrote: in its working directory and its home."""
    found = {}
    for folder in {Path(server.process.cwd()), server.home}:
        for f in folder.rglob("*ystore*"):
            if f.is_file():
                found[str(f)] = f.stat().st_size
    return found


async def long_session(server: Server, docs: int, minutes: float, speedup: float) -> dict:
    """docs notebooks, two editors each, typing a simulated `minutes` sped up `speedup` times."""
    paths = [f"session-{d}-{os.urandom(3).hex()}.ipynb" for d in range(docs)]
    for path in paths:
        server.put_notebook(path, 2)
    rss_before = server.process.memory_info().rss
    clients = [Editor(server.url, server.tokens[e], p) for p in paths for e in range(2)]
    for client in clients:
        await client.connect()
    keystrokes = int(minutes * 60)  # one a second, per editor
    interval = 1 / speedup

    async def typist(client: Editor, cell: int) -> None:
        await asyncio.sleep(random.uniform(0, interval))
        start = time.perf_counter()
        for j in range(keystrokes):
            text = client.notebook.ycells[cell]["source"]
            if j % 10 == 9:
                del text[len(text) - 1]  # a backspace
            else:
                client.key(cell, "abcdefghij"[j % 10] if j % 50 else "\n")
            # keep the pace (sleep granularity would slow a short interval down)
            ahead = start + (j + 1) * interval - time.perf_counter()
            if ahead > 0:
                await asyncio.sleep(ahead)

    started = time.perf_counter()
    await asyncio.gather(*(typist(c, i % 2) for i, c in enumerate(clients)))
    took = time.perf_counter() - started
    await asyncio.sleep(5)  # the autosave (1 s after the last change) and the YStore writes
    rss_after = server.process.memory_info().rss
    files = {p: (server.home / p).stat().st_size for p in paths}
    stores = ystores(server)
    for client in clients:
        await client.disconnect()
    return {
        "seconds": took,
        "updates": keystrokes * len(clients),
        "rss_before_mb": rss_before / 2**20,
        "rss_after_mb": rss_after / 2**20,
        "mb_per_document": (rss_after - rss_before) / 2**20 / docs,
        "tree_rss_mb": tree_rss(server.process) / 2**20,
        "ystore_bytes": sum(stores.values()),
        "ystore_files": stores,
        "notebook_bytes": sum(files.values()) / docs,
    }


# --- Report ---------------------------------------------------------------------------------
def report(results: dict) -> list[dict]:
    rows = []
    print(f"\n{'editors':>7} {'metric':8} {'hubkit':>9} {'plain':>9} {'ratio':>7}  target")
    for n, by_variant in results["latency"].items():
        h, p = (percentiles(by_variant[v]) for v in ("hubkit", "plain"))
        for key in ("p50_ms", "p95_ms"):
            ratio = h[key] / p[key] if p[key] else float("nan")
            rows.append({"editors": n, "metric": key, "hubkit": h[key], "plain": p[key]})
            rows[-1]["ratio"] = round(ratio, 2)
            print(f"{n:>7} {key:8} {h[key]:>9.1f} {p[key]:>9.1f} {ratio:>6.2f}x  <= 1.1x")
    session = results["session"]
    h, p = session["hubkit"], session["plain"]
    print(
        f"\nlong session: {h['updates']} updates over {len(h['ystore_files']) or '?'} store(s), "
        f"typed in {h['seconds']:.0f} s (hubkit) / {p['seconds']:.0f} s (plain)"
    )
    for key, label in (
        ("mb_per_document", "server RSS growth per open document, MB"),
        ("rss_after_mb", "server RSS with the documents open, MB"),
        ("tree_rss_mb", "server + children RSS, MB"),
        ("ystore_bytes", "YStore size, bytes"),
        ("notebook_bytes", "notebook file size, bytes"),
    ):
        ratio = h[key] / p[key] if p[key] else float("nan")
        print(f"{label:42} {h[key]:>12.1f} {p[key]:>12.1f} {ratio:>6.2f}x")
        rows.append({"metric": key, "hubkit": h[key], "plain": p[key], "ratio": round(ratio, 2)})
    for v in (h, p):
        for path, size in v["ystore_files"].items():
            print(f"  {path}: {size} bytes")
    return rows


async def measure(servers: list[Server], args: argparse.Namespace) -> dict:
    results: dict = {"latency": {}, "session": {}}
    for i, n in enumerate(args.editors):
        results["latency"][n] = {}
        for server in servers if i % 2 == 0 else servers[::-1]:
            print(f"{server.name}: {n} editors, {args.keys} keystrokes each", flush=True)
            results["latency"][n][server.name] = await latency(server, n, args.keys, args.rate)
    for server in servers:
        print(f"{server.name}: long session, {args.docs} documents", flush=True)
        results["session"][server.name] = await long_session(
            server, args.docs, args.minutes, args.speedup
        )
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--editors", type=int, nargs="+", default=[2, 5, 10])
    parser.add_argument("--keys", type=int, default=40, help="keystrokes per editor")
    parser.add_argument("--rate", type=float, default=5, help="keystrokes a second per editor")
    parser.add_argument("--docs", type=int, default=3, help="documents in the long session")
    parser.add_argument("--minutes", type=float, default=60, help="simulated session length")
    parser.add_argument("--speedup", type=float, default=60, help="session time scale-down")
    parser.add_argument("--profile", default="python-sql", help="catalog profile for hubkit")
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    args = parser.parse_args(argv)

    catalog = load_catalog()
    layout = LocalLayout.default(catalog)
    status = profile_status(catalog, layout, args.profile)
    missing = [s.reason for s in status.values() if not s.available]
    if missing:
        print(f"profile {args.profile} is not installed: {'; '.join(missing)}", file=sys.stderr)
        return 2
    venv = ensure_plain_venv(
        layout.root / "bench" / "plain-collab", plain_requirements(catalog, PLAIN_PACKAGES)
    )
    with tempfile.TemporaryDirectory(prefix="hubkit-collab-") as tmp_name:
        tmp = Path(tmp_name)
        (tmp / "hub").mkdir()
        (tmp / "plain").mkdir()
        plain, process = plain_server(venv, tmp / "plain", tmp / "plain.log")
        try:
            with HubServer(tmp / "hub", catalog, layout) as hub:
                hubkit = hubkit_server(hub, max(args.editors), args.profile)
                results = asyncio.run(measure([hubkit, plain], args))
        finally:
            process.terminate()
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:  # stock jupyter-collaboration may hang at exit
                process.kill()
                process.wait()
    rows = report(results)
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "raw": results}, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
