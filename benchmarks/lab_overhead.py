"""Benchmark: what the full JupyterLab set costs over plain JupyterLab, measured in one run.

"full" is a catalog profile (python-sql: the sql venv with the whole extension set) started by
this project's hub (hub/jupyterhub_config.py, configurable-http-proxy, LocalProfileSpawner);
"plain" is a stock JupyterHub 6.1.1 (dummy login, SimpleLocalProcessSpawner, the same proxy)
spawning a venv holding only JupyterLab, ipykernel and jupyterhub-singleuser at the versions the
python spec pins, created under .hubkit/bench/plain on first use.

Each repetition, alternating the two hubs: spawn the server (spawn-to-ready, server CPU
seconds to ready), open /lab in a fresh headless Chromium context, open a new notebook from the
launcher and wait for its idle kernel (page-to-usable, bytes over the wire, console errors),
leave it idle, then sum the RSS of the server's process tree. Medians are compared against the
targets of issue 2 ("Benchmark"). Timings are printed, never asserted; the exit code is 0 unless
the benchmark itself cannot run.

    .venv/bin/python benchmarks/lab_overhead.py [--repeat 3] [--idle 10] [--ai on|off]
        [--json out.json]
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import argparse
import json
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests.hubserver: the real hub the test suite uses

from hubkit.catalog import Catalog, load_catalog  # noqa: E402
from hubkit.envs.pypi import pip_requirements  # noqa: E402
from hubkit.envs.spec import load_spec  # noqa: E402
from hubkit.local import LocalLayout, profile_status  # noqa: E402
from hubkit.local.environments import pip_install, venv_current  # noqa: E402
from tests import browser as chromium  # noqa: E402
from tests.databases import free_port  # noqa: E402
from tests.hubserver import ADMIN, ADMIN_PASSWORD, HubServer, default_sigint  # noqa: E402

# The plain venv: these packages of the python spec, at the versions it pins.
PLAIN_PACKAGES = ("jupyterhub", "jupyterlab", "ipykernel")
NOTEBOOK_CARD = ".jp-LauncherCard[data-category='Notebook']"
PLAIN_HUB_CONFIG = '''"""A stock JupyterHub spawning plain JupyterLab: the benchmark's baseline."""
import os

c = get_config()  # noqa: F821
c.JupyterHub.authenticator_class = "dummy"
c.DummyAuthenticator.password = os.environ["JUPYTER_PASSWORD"]
c.Authenticator.admin_users = {os.environ["JUPYTER_ADMIN_USER"]}
c.Authenticator.allow_all = True
c.JupyterHub.bind_url = os.environ["JUPYTERHUB_BIND_URL"]
c.JupyterHub.hub_bind_url = os.environ["JUPYTERHUB_HUB_BIND_URL"]
c.ConfigurableHTTPProxy.api_url = os.environ["CONFIGPROXY_API_URL"]
c.ConfigurableHTTPProxy.auth_token = os.environ["CONFIGPROXY_AUTH_TOKEN"]
c.ConfigurableHTTPProxy.command = [os.environ["HUBKIT_CHP"]]
c.JupyterHub.db_url = "sqlite:///jupyterhub.sqlite"
# Land on the home page after login: the benchmark starts the server itself.
c.JupyterHub.default_url = "/hub/home"
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = os.environ["HUBKIT_HOMES_DIR"] + "/{username}"
c.Spawner.cmd = [os.environ["PLAIN_VENV"] + "/bin/jupyterhub-singleuser"]
c.Spawner.default_url = "/lab"
c.Spawner.environment = {"PATH": os.environ["PLAIN_VENV"] + "/bin:" + os.environ["PATH"]}
if os.geteuid() == 0:
    c.Spawner.args = ["--ServerApp.allow_root=True"]
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 60
'''


# --- The plain venv -------------------------------------------------------------------------
def plain_requirements(catalog: Catalog, packages: tuple[str, ...] = PLAIN_PACKAGES) -> list[str]:
    """`packages` at the versions the python spec pins (benchmarks/collab_latency.py adds
    jupyter-collaboration)."""
    spec = load_spec(catalog.environments["python"].spec_file)
    wanted = [r for r in pip_requirements([spec]) if r.split("=")[0] in packages]
    assert len(wanted) == len(packages), wanted
    return wanted


def ensure_plain_venv(venv: Path, requirements: list[str]) -> Path:
    """Create or update the plain JupyterLab venv; reinstall only when the pins changed."""
    if not venv_current(venv, requirements):
        print(f"plain: installing {' '.join(requirements)} into {venv}", flush=True)
        pip_install(venv, requirements)
    return venv


# --- Hubs -----------------------------------------------------------------------------------
class PlainHub(HubServer):
    """tests.hubserver.HubServer, but with a stock hub config instead of hub/."""

    def __init__(self, tmp: Path, catalog: Catalog, layout: LocalLayout, venv: Path) -> None:
        super().__init__(tmp, catalog, layout, PLAIN_VENV=str(venv))
        self.config_file = tmp / "jupyterhub_config.py"
        self.config_file.write_text(PLAIN_HUB_CONFIG)

    def start(self) -> None:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "jupyterhub", "-f", str(self.config_file)],
            cwd=self.tmp,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=default_sigint,
        )
        self.wait_for(self._answers, 60, "plain hub answering")

    def _answers(self) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError(f"hub exited {self.process.returncode}:\n{self.log()}")
        try:
            return requests.get(f"{self.url}/hub/api", timeout=2).ok
        except requests.ConnectionError:
            return False


@dataclass
class Variant:
    name: str
    hub: HubServer
    options: dict | None  # the spawn request's body; a stock hub takes none
    homes: Path
    runs: list[dict] = field(default_factory=list)


# --- One measurement ------------------------------------------------------------------------
def tree(pid: int) -> list[psutil.Process]:
    root = psutil.Process(pid)
    return [root, *root.children(recursive=True)]


def cpu_seconds(pid: int) -> float:
    total = 0.0
    for i, proc in enumerate(tree(pid)):
        try:
            t = proc.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += t.user + t.system + (t.children_user + t.children_system if i == 0 else 0)
    return total


def rss_by_process(pid: int) -> dict[str, int]:
    out: Counter[str] = Counter()
    for proc in tree(pid):
        try:
            cmd = proc.cmdline()
            out[describe(cmd)] += proc.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return dict(out)


def describe(cmd: list[str]) -> str:
    """A short name for a process of the server's tree."""
    if "-c" in cmd and "pylsp" in " ".join(cmd):  # pylsp launched by jupyter_server_config.py
        return "pylsp"
    for arg in cmd[1:]:
        if arg.startswith("-m"):
            continue
        name = Path(arg).name
        return {"ipykernel_launcher": "kernel"}.get(name, name)
    return Path(cmd[0]).name if cmd else "?"


def script_name(url: str) -> str:
    """The extension and file of a script URL ("jupyterlab-plotly/0.0395.js"), or the file."""
    _, _, rest = url.partition("/lab/extensions/")
    if rest:
        return rest.replace("/static/", "/")
    return url.rsplit("/", 1)[-1]


def spawn(v: Variant, token: str) -> dict:
    """Start the server; return spawn-to-ready seconds and the server's CPU seconds."""
    hub = v.hub
    t0 = time.perf_counter()
    r = hub.api("POST", f"/users/{ADMIN}/server", token, json=v.options)
    if r.status_code >= 400:
        raise RuntimeError(f"{v.name}: spawn refused: {r.status_code} {r.text}")
    with requests.get(
        f"{hub.url}/hub/api/users/{ADMIN}/server/progress",
        headers={"Authorization": f"token {token}"},
        stream=True,
        timeout=180,
    ) as events:
        for line in events.iter_lines():
            if not line.startswith(b"data:"):
                continue
            event = json.loads(line[5:])
            if event.get("failed"):
                raise RuntimeError(f"{v.name}: spawn failed: {event}\n{hub.log()}")
            if event.get("ready"):
                break
    ready = time.perf_counter() - t0
    server = hub.api("GET", f"/users/{ADMIN}", token).json()["servers"][""]
    pid = server["state"]["pid"]
    return {"spawn_s": ready, "cpu_s": cpu_seconds(pid), "pid": pid}


def open_notebook(browser, v: Variant, idle: float, pid: int) -> dict:
    """Open /lab, then a new notebook from the launcher; wait until its kernel is idle."""
    url = v.hub.url
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{url}/hub/login?next=/hub/home")
    page.fill("#username_input", ADMIN)
    page.fill("#password_input", ADMIN_PASSWORD)
    with page.expect_navigation():
        page.click("#login_submit")
    cdp = context.new_cdp_session(page)
    sent: dict[str, str] = {}  # request id -> URL
    kind: dict[str, str] = {}
    decoded: Counter[str] = Counter()
    encoded: dict[str, int] = {}
    cdp.on(
        "Network.requestWillBeSent",
        lambda e: sent.setdefault(e["requestId"], e["request"]["url"].split("?")[0]),
    )
    cdp.on("Network.responseReceived", lambda e: kind.__setitem__(e["requestId"], e["type"]))
    cdp.on("Network.dataReceived", lambda e: decoded.update({e["requestId"]: e["dataLength"]}))
    cdp.on(
        "Network.loadingFinished",
        lambda e: encoded.__setitem__(e["requestId"], e["encodedDataLength"]),
    )
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    # JupyterLab's page load is compared: the welcome notebook a first visit opens
    # (hubkit_lab.welcome) is marked as opened already
    state = v.homes / ADMIN / ".local" / "state" / "hubkit"
    state.mkdir(parents=True, exist_ok=True)
    (state / "welcome-opened").touch()
    t0 = time.perf_counter()
    page.goto(f"{url}/user/{ADMIN}/lab?reset", wait_until="commit", timeout=120_000)
    page.wait_for_selector(NOTEBOOK_CARD, timeout=120_000)
    launcher = time.perf_counter() - t0
    page.click(NOTEBOOK_CARD)
    chromium.wait_for_kernel(page)
    usable = time.perf_counter() - t0
    page_requests = set(sent)  # what the page asked for until the notebook was usable
    page.wait_for_timeout(idle * 1000)
    finished = {rid: n for rid, n in encoded.items() if rid in page_requests}
    scripts = [rid for rid in finished if kind.get(rid) == "Script"]
    rss = rss_by_process(pid)
    context.close()
    return {
        "launcher_s": launcher,
        "usable_s": usable,
        "wire_bytes": sum(finished.values()),
        "decoded_bytes": sum(decoded[rid] for rid in finished),
        "script_requests": len(scripts),
        "script_decoded_bytes": sum(decoded[rid] for rid in scripts),
        "requests": len(finished),
        "console_errors": len(errors),
        "errors": errors,
        "rss_bytes": sum(rss.values()),
        "rss_server_bytes": rss.get("jupyterhub-singleuser", 0),
        "rss": rss,
        "largest_scripts": sorted(
            ((decoded[rid], encoded[rid], script_name(sent[rid])) for rid in scripts),
            reverse=True,
        )[:8],
    }


def stop(v: Variant, token: str) -> None:
    v.hub.api("DELETE", f"/users/{ADMIN}/server", token)
    v.hub.wait_for(
        lambda: not v.hub.api("GET", f"/users/{ADMIN}", token).json()["servers"],
        60,
        f"{v.name} server stopped",
    )
    shutil.rmtree(v.homes / ADMIN, ignore_errors=True)  # no workspace or notebook carried over


# --- Report ---------------------------------------------------------------------------------
MB = 1024 * 1024
# (key, label, unit scale, format, target ratio full/plain, what plain is compared by)
METRICS = [
    ("spawn_s", "spawn-to-ready (s)", 1, "{:.2f}", 1.1, "spawn_s"),
    ("cpu_s", "server CPU to ready (CPU-s)", 1, "{:.2f}", None, "cpu_s"),
    ("launcher_s", "page open to launcher (s)", 1, "{:.2f}", None, "launcher_s"),
    ("usable_s", "page open to idle notebook (s)", 1, "{:.2f}", 1.3, "usable_s"),
    ("wire_bytes", "bytes over the wire (MB)", MB, "{:.2f}", 1.0, "decoded_bytes"),
    ("decoded_bytes", "bytes uncompressed (MB)", MB, "{:.2f}", None, "decoded_bytes"),
    ("script_decoded_bytes", "JavaScript uncompressed (MB)", MB, "{:.2f}", None, None),
    ("script_requests", "script requests", 1, "{:.0f}", None, None),
    ("rss_server_bytes", "server RSS, idle (MB)", MB, "{:.0f}", None, None),
    ("rss_bytes", "server + children RSS, idle (MB)", MB, "{:.0f}", 1.5, "rss_bytes"),
    ("console_errors", "browser console errors", 1, "{:.0f}", None, None),
]


def median(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def run_ratios(full: list[dict], plain: list[dict], key: str, baseline: str) -> list[float]:
    """full / plain for each repetition: runs of one repetition ran back to back, so the
    spread of these ratios shows how much of a median's ratio is the machine's noise."""
    pairs = zip(full, plain, strict=True)
    return [f[key] / p[baseline] if p[baseline] else float("inf") for f, p in pairs]


def report(full: Variant, plain: Variant) -> list[dict]:
    rows = []
    head = f"{'metric':36} {'full':>9} {'plain':>9} {'ratio':>7} {'per run':>11}  target"
    print(f"\nMedians of {len(full.runs)} runs\n{head}\n{'-' * len(head)}")
    for key, label, scale, fmt, target, baseline in METRICS:
        f, p = median(full.runs, key), median(plain.runs, key)
        row = {"metric": key, "full": f, "plain": p}
        ratio_text = target_text = spread = ""
        if baseline:
            base = median(plain.runs, baseline)
            row["ratio"] = ratio = f / base if base else float("inf")
            ratio_text = f"{ratio:.2f}x"
            row["run_ratios"] = paired = run_ratios(full.runs, plain.runs, key, baseline)
            spread = f"{min(paired):.2f}-{max(paired):.2f}x"
        if target is not None:
            row["target"] = target
            row["met"] = ratio <= target
            vs = " plain uncompressed" if baseline != key else ""
            target_text = f"<= {target}x{vs}  {'met' if row['met'] else 'NOT met'}"
        if key == "console_errors":
            row["met"] = f == 0
            target_text = f"0 (full)  {'met' if f == 0 else 'NOT met'}"
        print(
            f"{label:36} {fmt.format(f / scale):>9} {fmt.format(p / scale):>9} "
            f"{ratio_text:>7} {spread:>11}  {target_text}"
        )
        rows.append(row)
    for v in (full, plain):
        last = v.runs[-1]["rss"]
        parts = ", ".join(f"{k} {n / MB:.0f}" for k, n in sorted(last.items(), key=lambda x: -x[1]))
        print(f"\n{v.name} process tree RSS (MB, last run): {parts}")
        big = ", ".join(
            f"{url} {n / MB:.1f}/{wire / MB:.1f}"
            for n, wire, url in v.runs[-1]["largest_scripts"][:5]
        )
        print(f"{v.name} largest scripts (MB uncompressed/wire): {big}")
        errors = sorted({e for r in v.runs for e in r["errors"]})
        for e in errors[:10]:
            print(f"{v.name} console error: {e[:300]}")
    return rows


# --- Main -----------------------------------------------------------------------------------
def ai_settings(ai: str) -> dict[str, str]:
    """The full hub's AI variables: on needs a gateway port of its own (nothing answers on it;
    the page loads the chat without asking a model)."""
    if ai == "off":
        return {"HUBKIT_AI": "false"}
    return {"HUBKIT_AI": "true", "HUBKIT_AI_GATEWAY_URL": f"http://127.0.0.1:{free_port()}"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="measured runs per variant")
    parser.add_argument("--warmup", type=int, default=1, help="unmeasured runs first")
    parser.add_argument("--idle", type=float, default=10, help="seconds left idle before RSS")
    parser.add_argument("--profile", default="python-sql", help="catalog profile for full")
    parser.add_argument("--json", type=Path, help="also write every run and the medians here")
    parser.add_argument(
        "--ai",
        choices=("on", "off"),
        default="on",
        help="full's hub with HUBKIT_AI on (the shipped default: jupyter-ai's chat and the AI "
        "actions load) or off (the project's extension and the data-science set only)",
    )
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright

    catalog = load_catalog()
    layout = LocalLayout.default(catalog)
    status = profile_status(catalog, layout, args.profile)
    missing = [s.reason for s in status.values() if not s.available]
    if missing:
        print(f"profile {args.profile} is not installed: {'; '.join(missing)}", file=sys.stderr)
        return 2
    plain_venv = ensure_plain_venv(layout.root / "bench" / "plain", plain_requirements(catalog))
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="hubkit-bench-") as tmp_name:
        tmp = Path(tmp_name)
        (tmp / "full").mkdir()
        (tmp / "plain").mkdir()
        with (
            HubServer(tmp / "full", catalog, layout, **ai_settings(args.ai)) as full_hub,
            PlainHub(tmp / "plain", catalog, layout, plain_venv) as plain_hub,
            sync_playwright() as p,
        ):
            full = Variant(
                "full", full_hub, {"profile": args.profile}, Path(full_hub.env["HUBKIT_HOMES_DIR"])
            )
            plain = Variant("plain", plain_hub, None, Path(plain_hub.env["HUBKIT_HOMES_DIR"]))
            browser = chromium.launch(p)
            for i in range(args.warmup + args.repeat):
                measured = i >= args.warmup
                # Alternate the order so drift (caches, the other hub) hits both alike.
                for v in (full, plain) if i % 2 == 0 else (plain, full):
                    token = v.hub.admin_token
                    run = spawn(v, token)
                    run.update(open_notebook(browser, v, args.idle, run["pid"]))
                    stop(v, token)
                    label = "run" if measured else "warm-up"
                    print(
                        f"{label} {i + 1 - args.warmup if measured else i + 1} {v.name:5}: "
                        f"spawn {run['spawn_s']:.2f} s, usable {run['usable_s']:.2f} s, "
                        f"{run['wire_bytes'] / MB:.2f} MB wire, "
                        f"{run['rss_bytes'] / MB:.0f} MB RSS, "
                        f"{run['console_errors']} console errors",
                        flush=True,
                    )
                    if measured:
                        v.runs.append(run)
            browser.close()
            rows = report(full, plain)
    print(f"\nbenchmark took {time.perf_counter() - started:.0f} s")
    if args.json:
        args.json.write_text(
            json.dumps({"medians": rows, "full": full.runs, "plain": plain.runs}, indent=1)
        )
    return 0


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # run the hubs' cleanup
    sys.exit(main())
