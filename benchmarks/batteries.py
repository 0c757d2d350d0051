"""Benchmark: the Python environment with issue 16's libraries against the spec without them.

Both variants run through real hubs (hub/jupyterhub_config.py in local mode, as the tests do):
`after` is this checkout's `python-sql` profile (.hubkit/envs/sql, `./stack local install`);
`before` is this checkout with only the libraries taken out: the change that the commit adding
them (`--libraries-commit`, default: the one that recorded docker-stacks' lists) made to
envs/python/environment.yml is reversed, installed into .hubkit/bench/batteries-before (made
once, reinstalled when that spec changes). Everything else (the project's packages, jupyter-ai,
the server's configuration) is the same on both sides, so the ratios are the libraries' alone.
Each repetition starts one server per variant (alternating which goes first), waits for the
hub's `ready`, leaves it idle, sums the RSS of the server's process tree and stops the server.
Prints medians, ratios after/before against the target (<= 1.1x), and both environments' sizes
on disk. Nothing is asserted.

    .venv/bin/python benchmarks/batteries.py [--repeat 3] [--idle 10]
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests.hubserver: the real hub the test suite uses
sys.path.insert(0, str(ROOT / "benchmarks"))

from lab_overhead import MB, Variant, rss_by_process, spawn, stop  # noqa: E402

from hubkit.catalog import load_catalog  # noqa: E402
from hubkit.local import LocalLayout, install_profile, profile_status  # noqa: E402
from tests.hubserver import HubServer  # noqa: E402

PROFILE = "python-sql"
# What the baseline checkout needs: the catalog, its specs and the project's packages.
CHECKOUT = ("catalog.yaml", "envs", "packages", "notebooks")
RECORD = "envs/python/docker-stacks.yaml"
SPEC = "envs/python/environment.yml"


def libraries_commit() -> str:
    """The commit that added the libraries: the one that added docker-stacks.yaml."""
    added = subprocess.run(
        ["git", "log", "--diff-filter=A", "--format=%H", "--", RECORD],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    if not added:
        raise SystemExit(f"{RECORD} is not in this repository's history: pass --libraries-commit")
    return added[-1]


def baseline_checkout(commit: str, target: Path) -> Path:
    """This checkout's catalog, specs and packages in `target` (replaced), with `commit`'s
    change to the Python spec reversed."""
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "archive", "HEAD", *CHECKOUT], cwd=ROOT, capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    change = subprocess.run(
        ["git", "show", "--format=", commit, "--", SPEC], cwd=ROOT, capture_output=True, check=True
    ).stdout
    # patch, not `git apply`: inside the repository's ignored .hubkit/, git apply skips the
    # paths silently
    reverse = subprocess.run(
        ["patch", "--reverse", "--forward", "-p1", "-d", str(target)],
        input=change, capture_output=True,
    )  # fmt: skip
    if reverse.returncode:
        raise SystemExit(
            f"cannot take {commit[:12]}'s libraries out of this checkout's {SPEC}: "
            f"{reverse.stdout.decode().strip()} (pass --libraries-commit)"
        )
    return target


def venv_mb(venv: Path) -> float:
    out = subprocess.run(["du", "-sm", str(venv)], capture_output=True, text=True, check=True)
    return float(out.stdout.split()[0])


def measure(v: Variant, idle: float) -> dict:
    token = v.hub.admin_token
    run = spawn(v, token)
    time.sleep(idle)
    rss = rss_by_process(run["pid"])
    run.update(rss_bytes=sum(rss.values()), rss=rss)
    stop(v, token)
    return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="measured runs per variant")
    parser.add_argument("--warmup", type=int, default=1, help="unmeasured runs first")
    parser.add_argument("--idle", type=float, default=10, help="seconds idle before RSS")
    parser.add_argument(
        "--libraries-commit", help="the commit that added the libraries (see the docstring)"
    )
    args = parser.parse_args(argv)

    catalog = load_catalog()
    layout = LocalLayout.default(catalog)
    missing = [s.reason for s in profile_status(catalog, layout, PROFILE).values() if s.reason]
    if missing:
        print(f"{PROFILE} is not installed: {'; '.join(missing)}", file=sys.stderr)
        return 2
    commit = args.libraries_commit or libraries_commit()
    bench = layout.root / "bench" / "batteries-before"
    old_catalog = load_catalog(baseline_checkout(commit, bench / "repo") / "catalog.yaml")
    old_layout = LocalLayout(bench / "state")
    print(f"before: {PROFILE} without {commit[:12]}'s libraries, in {old_layout.root}", flush=True)
    old_layout.root.mkdir(parents=True, exist_ok=True)
    if not (old_layout.root / "proxy").exists():
        shutil.copytree(layout.root / "proxy", old_layout.root / "proxy", symlinks=True)
    if any(s.reason for s in profile_status(old_catalog, old_layout, PROFILE).values()):
        # pip only adds: an environment installed from another spec would keep its extras
        shutil.rmtree(old_layout.root / "envs", ignore_errors=True)
    install_profile(old_catalog, old_layout, PROFILE)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="hubkit-bench-") as tmp_name:
        tmp = Path(tmp_name)
        (tmp / "after").mkdir()
        (tmp / "before").mkdir()
        with (
            HubServer(tmp / "after", catalog, layout) as after_hub,
            HubServer(tmp / "before", old_catalog, old_layout) as before_hub,
        ):
            after = Variant("after", after_hub, {"profile": PROFILE}, tmp / "after" / "homes")
            before = Variant("before", before_hub, {"profile": PROFILE}, tmp / "before" / "homes")
            for i in range(args.warmup + args.repeat):
                for v in (after, before) if i % 2 == 0 else (before, after):
                    run = measure(v, args.idle)
                    print(
                        f"{'run' if i >= args.warmup else 'warm-up'} {v.name:6}: spawn "
                        f"{run['spawn_s']:.2f} s, {run['rss_bytes'] / MB:.0f} MB RSS",
                        flush=True,
                    )
                    if i >= args.warmup:
                        v.runs.append(run)
    print(f"\nMedians of {args.repeat} runs (target: after/before <= 1.1x)")
    for key, label, scale in (
        ("spawn_s", "spawn-to-ready (s)", 1),
        ("rss_bytes", "idle RSS, server tree (MB)", MB),
    ):
        a = statistics.median(r[key] for r in after.runs) / scale
        b = statistics.median(r[key] for r in before.runs) / scale
        print(f"{label:34} after {a:8.2f}  before {b:8.2f}  ratio {a / b:.2f}x")
    a_mb = venv_mb(layout.server_venv(catalog, PROFILE))
    b_mb = venv_mb(old_layout.server_venv(old_catalog, PROFILE))
    print(f"{'python environment on disk (MB)':34} after {a_mb:8.0f}  before {b_mb:8.0f}  "
          f"+{a_mb - b_mb:.0f} MB ({a_mb / b_mb:.2f}x)")  # fmt: skip
    print(f"\nbenchmark took {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # run the hubs' cleanup
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
