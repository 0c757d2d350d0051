"""Benchmark: the homelab stack (docker compose) against local mode, measured in one run.

"docker" is the whole stack as tests/docker/test_stack.py brings it up (traefik, the proxy, the
hub, PostgreSQL; stand-ins for the third-party images where no registry is reachable) spawning
the `python-sql` image recorded in the images file; "local" is the same hub configuration in
local mode (tests/hubserver.HubServer, LocalProfileSpawner) spawning the same profile from its
venv, when local mode has it installed (`./stack local install`; otherwise there is no baseline
and only the Docker figures are printed).

Measured: a cold `docker compose up -d` to a healthy hub (after `down -v`); spawn-to-ready of a
user server through the REST API, alternating docker and local, ratio docker/local (target from
issue 12: <= 1.2); the idle memory of every container of the stack with one user server
(`docker stats`); the size of every image involved. Printed, never asserted; the exit code is 0
unless the benchmark itself cannot run.

    .venv/bin/python benchmarks/docker_stack.py [--repeat 3] [--images-file .hubkit/images.json]

Runs as root: it uses the engine DOCKER_HOST names or starts one (tests/docker/engine.py), and
builds the base image, the stand-ins and, without --images-file, the PyPI flavour of python-sql.
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests/docker: the engine, stand-ins and stack the tests use

from hubkit.catalog import load_catalog  # noqa: E402
from hubkit.local import LocalLayout, profile_status  # noqa: E402
from tests.docker.conftest import build_pypi_image, chp_version  # noqa: E402
from tests.docker.engine import Docker, debian_image, docker_engine, standin  # noqa: E402
from tests.docker.stack import Stack  # noqa: E402
from tests.hubserver import HubServer  # noqa: E402

PROFILE = "python-sql"
MB = 1024**2


def parse_bytes(text: str) -> float:
    """`docker stats` memory ("123.4MiB") in bytes."""
    units = {"B": 1, "KiB": 1024, "MiB": MB, "GiB": 1024**3, "kB": 1e3, "MB": 1e6, "GB": 1e9}
    for unit in sorted(units, key=len, reverse=True):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * units[unit]
    return float(text)


def build_user_image(docker: Docker, debian: str, tmp: Path) -> Path:
    images_file = tmp / "images.json"
    result = build_pypi_image(docker, debian, images_file, PROFILE, "--no-smoke")
    if result.returncode != 0:
        raise SystemExit(result.stdout[-5000:] + result.stderr[-5000:])
    return images_file


def docker_spawn(stack: Stack, token: str, user: str) -> float:
    started = time.monotonic()
    r = stack.api("POST", f"/users/{user}/server", token, json={"profile": PROFILE})
    r.raise_for_status()
    stack.wait_ready(user, token, timeout=300)
    return time.monotonic() - started


def local_spawn(hub: HubServer, user_token: str, user: str) -> float:
    started = time.monotonic()
    hub.spawn(user, user_token, {"profile": PROFILE}, timeout=300)
    return time.monotonic() - started


def stack_memory(docker: Docker, names: list[str]) -> dict[str, float]:
    out = docker.out("stats", "--no-stream", "--format", "{{.Name}} {{.MemUsage}}", *names)
    return {line.split()[0]: parse_bytes(line.split()[1]) for line in out.splitlines()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="spawns per variant")
    parser.add_argument("--idle", type=float, default=20, help="seconds idle before memory")
    parser.add_argument("--images-file", type=Path, help="built images (else: build pypi)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    catalog = load_catalog()
    layout = LocalLayout.default(catalog)
    local_ready = all(s.available for s in profile_status(catalog, layout, PROFILE).values())
    results: dict = {"spawn_docker_s": [], "spawn_local_s": []}
    started = time.perf_counter()
    with docker_engine() as docker, tempfile.TemporaryDirectory(prefix="hubkit-bench-") as t:
        tmp = Path(t)
        debian = debian_image(docker)
        standins = {
            "traefik": standin(docker, "traefik", debian),
            "proxy": standin(docker, "proxy", debian, CHP_VERSION=chp_version()),
            "postgres": standin(docker, "postgres", debian),
            "python": standin(docker, "python", debian),
        }
        images_file = args.images_file or build_user_image(docker, debian, tmp)
        stack = Stack(docker, tmp / "stack", project="hubkit-bench")
        stack.folder.mkdir()
        stack.init(images_file, standins)
        stack.compose("down", "-v", check=False)
        stack.compose("build")  # the hub image: not part of a cold start
        try:
            results["cold_up_s"] = stack.up()
            print(f"cold compose up -> healthy hub: {results['cold_up_s']:.1f} s", flush=True)
            admin = stack.login(*stack.admin)
            token = stack.token(admin, stack.admin[0])
            local = None
            if local_ready:
                (tmp / "local").mkdir()  # HubServer's folder (its state and log)
                local = HubServer(tmp / "local", catalog, layout)
                local.__enter__()
            try:
                for i in range(args.repeat):
                    user = f"bench{i}"
                    stack.api("POST", f"/users/{user}", token)
                    results["spawn_docker_s"].append(docker_spawn(stack, token, user))
                    if local:
                        local.api("POST", f"/users/{user}")
                        results["spawn_local_s"].append(local_spawn(local, local.admin_token, user))
                        local.api("DELETE", f"/users/{user}/server")
                    print(
                        f"spawn {i + 1}: docker {results['spawn_docker_s'][-1]:.2f} s"
                        + (f", local {results['spawn_local_s'][-1]:.2f} s" if local else ""),
                        flush=True,
                    )
                    if i < args.repeat - 1:
                        stack.stop(user, token)
                time.sleep(args.idle)
                names = [stack.container(s) for s in ("traefik", "proxy", "hub", "postgres")]
                names.append(f"jupyter-bench{args.repeat - 1}")
                memory = stack_memory(docker, names)
                results["idle_memory_mb"] = {k: v / MB for k, v in memory.items()}
            finally:
                if local:
                    local.__exit__(None, None, None)
            images = {
                **json.loads(images_file.read_text()),
                "hub": f"hubkit/hub:{stack.settings['HUBKIT_HUB_TAG']}",
                **standins,
            }
            results["image_mb"] = {k: docker.inspect(v)[0]["Size"] / MB for k, v in images.items()}
        finally:
            ids = docker.out("ps", "-aq", "--filter", "name=jupyter-bench").split()
            if ids:
                docker.run("rm", "-f", *ids, check=False)
            stack.compose("down", "-v", check=False)
    dock = statistics.median(results["spawn_docker_s"])
    print(f"\nspawn-to-ready, median of {args.repeat}: docker {dock:.2f} s", end="")
    if results["spawn_local_s"]:
        loc = statistics.median(results["spawn_local_s"])
        print(f", local {loc:.2f} s, ratio {dock / loc:.2f} (target <= 1.2)")
    else:
        print(f" (local mode has no {PROFILE}: `./stack local install` for the baseline)")
    total = sum(results["idle_memory_mb"].values())
    parts = ", ".join(f"{k} {v:.0f}" for k, v in results["idle_memory_mb"].items())
    print(f"idle memory with one server: {total:.0f} MB ({parts})")
    for name, size in results["image_mb"].items():
        print(f"image {name}: {size:.0f} MB")
    print(f"\nbenchmark took {time.perf_counter() - started:.0f} s")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
