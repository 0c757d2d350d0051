"""Benchmark: the Databases panel's first paint of a schema of 2,000 tables, against one catalog
query through the fastest driver, measured in one run.

A PostgreSQL 15 server (started as in the tests, tests/databases.py) gets a schema `wide` of N
tables (default 2,000; 5 columns each, a primary and a foreign key). JupyterLab runs from the
local-mode environment with that database as a personal connection; headless Chromium opens
the panel, expands the connection, then clicks the schema; the first paint is measured in the
page, from the click to the frame after the one in which the first table rows were laid out.
Each repeat reloads the page so nothing is cached in the browser; the server's connection
stays open, as it does for a user. The baseline is the catalog's own query (the same SQL the
panel's server runs) through psycopg on an open connection, fetched into Python. Printed,
never asserted.

    .venv/bin/python benchmarks/schema_browser.py [--tables 2000] [--repeat 5]
"""

# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "packages" / "hubkit-lab" / "tests"))

SERVER_PYTHON = ROOT / ".hubkit" / "envs" / "sql" / "bin" / "python"
TABLES_SQL = """
SELECT c.relname,
       CASE WHEN c.relkind IN ('v', 'm') THEN 'view' ELSE 'table' END,
       CASE WHEN c.reltuples < 0 THEN NULL ELSE c.reltuples::bigint END
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = %s AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
ORDER BY c.relname"""


def make_schema(pg, tables: int) -> str:
    url = pg.create_database("wide")
    pg.psql(
        "CREATE TABLE customers (id int PRIMARY KEY); CREATE SCHEMA wide;"
        f" DO $$ BEGIN FOR i IN 1..{tables} LOOP EXECUTE format("
        "'CREATE TABLE wide.t%s (id int PRIMARY KEY, a text, b numeric, c date, d int"
        " REFERENCES public.customers (id))', i); END LOOP; END $$; ANALYZE",
        "wide",
    )
    return url


def driver_times(url: str, repeat: int) -> list[float]:
    """The catalog query through psycopg on an open connection, in the server's Python."""
    code = f"""
import json, sys, time
import psycopg
from sqlalchemy.engine import make_url
u = make_url({url!r})
con = psycopg.connect(host=u.host, port=u.port, user=u.username, password=u.password,
                      dbname=u.database, autocommit=True)
times = []
for _ in range({repeat}):
    start = time.perf_counter()
    rows = con.execute({TABLES_SQL!r}, ("wide",)).fetchall()
    times.append(time.perf_counter() - start)
assert len(rows) >= 1
print(json.dumps(times))
"""
    out = subprocess.run(
        [str(SERVER_PYTHON), "-c", code], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


# Set before the click: the click's time, and the frame after the one in which the first table
# rows were laid out (two animation frames: the second callback runs once the first has painted).
WATCH = """() => {
  window.__hk = {};
  document.addEventListener('click', () => { window.__hk.click ??= performance.now(); },
                            { capture: true, once: true });
  const observer = new MutationObserver(() => {
    const rows = document.querySelectorAll('.hk-Databases-table').length;
    if (rows && window.__hk.rows === undefined) {
      window.__hk.rows = rows;
      observer.disconnect();
      requestAnimationFrame(() => requestAnimationFrame(() => {
        window.__hk.painted = performance.now();
      }));
    }
  });
  observer.observe(document.body, { subtree: true, childList: true });
}"""


def panel_times(server, repeat: int) -> list[tuple[float, int]]:
    from browser import launch
    from lab_servers import TOKEN
    from playwright.sync_api import sync_playwright

    times = []
    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(120_000)
        for _ in range(repeat + 1):  # the first run warms the server's connection
            page.goto(f"{server.url}/lab?token={TOKEN}&reset")
            page.click(".jp-SideBar [data-id='hubkit-lab-databases']")
            page.click(".hk-Databases-connection:has(.hk-Databases-label:text-is('pg')) > div")
            page.wait_for_selector(".hk-Databases-schema .hk-Databases-label:text-is('wide')")
            page.evaluate(WATCH)
            page.click(".hk-Databases-schema:has(.hk-Databases-label:text-is('wide')) > div")
            page.wait_for_function("() => window.__hk.painted !== undefined")
            seen = page.evaluate("() => window.__hk")
            times.append(((seen["painted"] - seen["click"]) / 1000, int(seen["rows"])))
        browser.close()
    return times[1:]


def api_times(server, repeat: int) -> list[float]:
    """The panel's request for the schema's tables, without the browser."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        server.get("/hubkit-lab/catalog/pg/wide").raise_for_status()
        times.append(time.perf_counter() - start)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    import databases
    from lab_servers import jupyter_server

    with contextlib.ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        pg = stack.enter_context(databases.PostgresCluster())
        url = make_schema(pg, args.tables)
        connections = folder / "connections.json"
        connections.write_text(json.dumps({"pg": {"url": url}}))
        connections.chmod(0o600)
        env = {"HUBKIT_CONNECTIONS_FILE": str(connections)}
        # the server runs from the local-mode environment that carries the extension
        sys_executable = sys.executable
        sys.executable = str(SERVER_PYTHON)
        try:
            server = stack.enter_context(jupyter_server(folder / "home", env=env, app="jupyterlab"))
        finally:
            sys.executable = sys_executable
        panel = panel_times(server, args.repeat)
        api = api_times(server, args.repeat)
        driver = driver_times(url, args.repeat)
    paint = statistics.median(t for t, _ in panel)
    query = statistics.median(driver)
    print(f"schema of {args.tables:,} tables, {args.repeat} runs each (median):")
    print(f"  Databases panel, click to first paint: {paint * 1000:8.1f} ms"
          f" ({panel[-1][1]:,} table rows painted first)")  # fmt: skip
    print(f"  of which the server's answer (HTTP):    {statistics.median(api) * 1000:8.1f} ms")
    print(f"  one catalog query through psycopg:     {query * 1000:8.1f} ms")
    print(f"  ratio: {paint / query:.2f}x (target <= 1.5x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
