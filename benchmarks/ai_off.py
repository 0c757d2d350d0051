"""Benchmark: a user's server with the hub's AI off (HUBKIT_AI=false) against AI on (default).

Two real hubs (hub/jupyterhub_config.py in local mode, as the tests run it) at once, the same
`python-sql` profile: with AI off the spawner puts the python environment's
etc/hubkit/ai-off folder first in JUPYTER_CONFIG_PATH, so jupyter-ai's server extensions (and
LiteLLM) are not imported. Each repetition starts one server per hub (alternating which goes
first), waits for the hub's `ready`, reads the server's CPU seconds and RSS and JupyterHub's own
figure ("took N seconds to start" in the hub's log), then stops it. Prints medians and the ratio
off/on. Nothing is asserted.

    .venv/bin/python benchmarks/ai_off.py [--repeat 3]
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import argparse
import contextlib
import re
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests.hubserver: the real hub the test suite uses
sys.path.insert(0, str(ROOT / "benchmarks"))

from lab_overhead import MB, Variant, ai_settings, rss_by_process, spawn, stop  # noqa: E402

from hubkit.catalog import load_catalog  # noqa: E402
from hubkit.local import LocalLayout  # noqa: E402
from tests.hubserver import ADMIN, HubServer  # noqa: E402

PROFILE = "python-sql"
TOOK = re.compile(rf"User {ADMIN} took ([\d.]+) seconds to start")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="servers started per hub")
    args = parser.parse_args(argv)
    catalog = load_catalog()
    layout = LocalLayout.default(catalog)
    with tempfile.TemporaryDirectory(prefix="hubkit-bench-ai-") as tmp:
        settings = {ai: ai_settings(ai) for ai in ("on", "off")}
        variants = {}
        with contextlib.ExitStack() as stack:
            for name, env in settings.items():
                folder = Path(tmp, name)
                folder.mkdir()
                hub = stack.enter_context(HubServer(folder, catalog, layout, **env))
                variants[name] = Variant(name, hub, {"profile": PROFILE}, folder / "homes")
            for i in range(args.repeat):
                for name in ["on", "off"] if i % 2 == 0 else ["off", "on"]:
                    v = variants[name]
                    run = spawn(v, v.hub.admin_token)
                    run["rss_mb"] = sum(rss_by_process(run["pid"]).values()) / MB
                    log = v.hub.log_path.read_text(errors="replace")
                    run["hub_s"] = float(TOOK.findall(log)[-1])
                    v.runs.append(run)
                    stop(v, v.hub.admin_token)
                    print(f"{name}: " + ", ".join(f"{k} {run[k]:.2f}" for k in KEYS), flush=True)
    print(f"\n{'':28} {'AI on':>8} {'AI off':>8} {'off/on':>7}")
    for key, label in KEYS.items():
        on = statistics.median(r[key] for r in variants["on"].runs)
        off = statistics.median(r[key] for r in variants["off"].runs)
        print(f"{label:28} {on:8.2f} {off:8.2f} {off / on:6.2f}x")
    return 0


KEYS = {
    "hub_s": "hub: took N seconds to start",
    "spawn_s": "spawn-to-ready (s)",
    "cpu_s": "server CPU to ready (CPU-s)",
    "rss_mb": "server RSS at ready (MB)",
}

if __name__ == "__main__":
    sys.exit(main())
