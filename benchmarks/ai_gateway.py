"""Benchmark: streamed AI answers through the hub's AI gateway vs the same upstream called directly.

The upstream is the tests' stand-in for Anthropic's API (tests/ai_upstream.py, its own process,
one word every --delay seconds, as a real model streams); the gateway runs as the hub starts it
(hub/jupyterhub_config.py in local mode, a real JupyterHub on free ports). For 1 and 20
concurrent users, each sends --requests streamed Messages requests, one after the other:
directly to the upstream with the vendor key, then through the gateway with their hub token.
Printed: time to first token (the first content_block_delta) and total time, p50/p95, the
gateway/direct ratios (target <= 1.1), and the CPU the gateway and the hub used per request.
Timings are never asserted.

    .venv/bin/python benchmarks/ai_gateway.py [--requests 10] [--delay 0.02] [--json out.json]
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hubkit.catalog import load_catalog  # noqa: E402
from hubkit.local import LocalLayout, install_proxy  # noqa: E402
from tests.databases import free_port  # noqa: E402
from tests.hubserver import HubServer  # noqa: E402

KEY = "sk-ant-bench-" + os.urandom(12).hex()
BODY = {
    "model": "claude-sonnet-4-5",
    "max_tokens": 100,
    "stream": True,
    "messages": [{"role": "user", "content": "Tell me the answer."}],
}


def one(url: str, key: str) -> tuple[float, float]:
    """(seconds to the first token, seconds to the end) of one streamed answer."""
    start = time.perf_counter()
    first = None
    with requests.post(
        url,
        headers={"x-api-key": key, "anthropic-version": "2023-06-01"},
        json=BODY,
        stream=True,
        timeout=60,
    ) as r:
        r.raise_for_status()
        for line in r.iter_lines():
            if first is None and line.startswith(b"event: content_block_delta"):
                first = time.perf_counter() - start
    return first or float("nan"), time.perf_counter() - start


def run(url: str, keys: list[str], requests_each: int) -> tuple[list[float], list[float]]:
    def user(key: str) -> list[tuple[float, float]]:
        return [one(url, key) for _ in range(requests_each)]

    with ThreadPoolExecutor(len(keys)) as pool:
        results = [t for user_results in pool.map(user, keys) for t in user_results]
    return [r[0] for r in results], [r[1] for r in results]


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def cpu_seconds(processes: list[psutil.Process]) -> float:
    return sum(sum(p.cpu_times()[:2]) for p in processes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=10, help="streamed requests per user")
    parser.add_argument("--delay", type=float, default=0.02, help="seconds between words")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    catalog = load_catalog()
    layout = LocalLayout.default(catalog)
    install_proxy(catalog, layout)
    port = free_port()
    fake = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.ai_upstream",
            "--port",
            str(port),
            "--key",
            KEY,
            "--delay",
            str(args.delay),
        ],
        cwd=ROOT,
    )
    upstream = f"http://127.0.0.1:{port}"
    figures: dict[str, dict[str, float]] = {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            gateway_url = f"http://127.0.0.1:{free_port()}"
            with PatientHub(
                Path(tmp),
                catalog,
                layout,
                HUBKIT_AI_GATEWAY_URL=gateway_url,
                HUBKIT_AI_ANTHROPIC_URL=upstream,
                ANTHROPIC_API_KEY=KEY,
                # no limits: the policy's defaults would rate-limit the benchmark's users
                HUBKIT_POLICY=str(unlimited_policy(Path(tmp))),
            ) as hub:
                # Users and their tokens made by the admin (no logins: bcrypt is not measured)
                names = [f"bench{i}" for i in range(20)]
                hub.api("POST", "/users", json={"usernames": names}).raise_for_status()
                tokens = [
                    hub.api("POST", f"/users/{n}/tokens", json={"note": "bench"}).json()["token"]
                    for n in names
                ]
                gateway = f"{gateway_url}/services/ai-gateway/anthropic/v1/messages"
                direct = f"{upstream}/v1/messages"
                hub.wait_for(lambda: probe(gateway_url), 30, "the AI gateway")
                # This hub's own gateway (other hubs' may run on the same machine)
                hub_process = psutil.Process(hub.process.pid)
                service = [
                    p
                    for p in hub_process.children(recursive=True)
                    if "hubkit.hub.ai_gateway" in " ".join(p.cmdline())
                ]
                hub_processes = [hub_process, *service]
                one(gateway, tokens[0])  # warm: connections, the hub's token cache
                run(gateway, tokens, 1)
                for users in (1, 20):
                    ttft_d, total_d = run(direct, [KEY] * users, args.requests)
                    cpu, gateway_cpu = cpu_seconds(hub_processes), cpu_seconds(service)
                    ttft_g, total_g = run(gateway, tokens[:users], args.requests)
                    cpu = cpu_seconds(hub_processes) - cpu
                    gateway_cpu = cpu_seconds(service) - gateway_cpu
                    row = {
                        "requests": users * args.requests,
                        "hub_cpu_ms_per_request": 1000 * cpu / (users * args.requests),
                        "gateway_cpu_ms_per_request": 1000 * gateway_cpu / (users * args.requests),
                    }
                    for name, d, g in (("ttft", ttft_d, ttft_g), ("total", total_d, total_g)):
                        for p in (50, 95):
                            row[f"{name}_p{p}_direct_ms"] = 1000 * pct(d, p)
                            row[f"{name}_p{p}_gateway_ms"] = 1000 * pct(g, p)
                            row[f"{name}_p{p}_ratio"] = pct(g, p) / pct(d, p)
                    figures[f"{users} users"] = row
    finally:
        fake.terminate()
        fake.wait(10)
    for label, row in figures.items():
        print(
            f"{label}: {row['requests']} streamed answers, hub+gateway CPU "
            f"{row['hub_cpu_ms_per_request']:.1f} ms per request (the gateway "
            f"{row['gateway_cpu_ms_per_request']:.1f} ms)"
        )
        for name in ("ttft", "total"):
            for p in (50, 95):
                print(
                    f"  {name} p{p}: direct {row[f'{name}_p{p}_direct_ms']:.1f} ms, gateway "
                    f"{row[f'{name}_p{p}_gateway_ms']:.1f} ms, ratio "
                    f"{row[f'{name}_p{p}_ratio']:.2f}x"
                )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


class PatientHub(HubServer):
    """A hub given more than the tests' 60 s to start: on a loaded machine the hub and the
    gateway each spend many seconds importing jsonschema's format checkers."""

    def start(self) -> None:
        try:
            super().start()
        except TimeoutError:
            self.wait_for(lambda: probe_hub(self.url), 240, "the hub answering")

    def stop(self) -> None:
        """Stop the hub, then whatever it started and left (its proxy and services outlive it
        when its shutdown takes longer than HubServer waits, as on a loaded machine)."""
        children = psutil.Process(self.process.pid).children(recursive=True) if self.process else []
        super().stop()
        for p in children:
            with contextlib.suppress(psutil.NoSuchProcess):
                p.terminate()
        psutil.wait_procs(children, timeout=10)


def probe_hub(url: str) -> bool:
    try:
        return requests.get(f"{url}/hub/api", timeout=2).ok
    except requests.ConnectionError:
        return False


def probe(base: str) -> bool:
    try:
        return requests.get(f"{base}/services/ai-gateway/anthropic/v1/models", timeout=2).ok
    except requests.ConnectionError:
        return False


def unlimited_policy(tmp: Path) -> Path:
    import yaml

    data = yaml.safe_load((ROOT / "hub" / "policy.yaml").read_text())
    data["ai"].update(limits={}, groups={}, users={})
    path = tmp / "policy.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


if __name__ == "__main__":
    main()
