"""Benchmark: reading a large SQL result into a DataFrame, through the %%sql_cell magic
(hubkit-kernel) against the fastest direct path of each database, against jupysql's `%%sql`
(SQLAlchemy, `SqlMagic.autopandas`) and against the common baseline, pandas.read_sql over
SQLAlchemy, measured in one run.

N rows (default 1,000,000) x 10 mixed columns (bigint key, nullable int, float, numeric(12,2),
two text columns, date, timestamp with time zone, boolean, smallint; about 5 % NULLs in the
nullable ones) in PostgreSQL 15 and MariaDB 10.11 (real servers started as in the tests, from
tests/databases.py), a SQLite file and a DuckDB file. Each read runs in its own Python process:
wall time of the read (imports and connection setup excluded, measured in the child) and the
child's peak RSS (os.wait4's rusage). Also printed: the dtype each path gives the nullable
integer, the decimal and the timestamp, because the fast paths differ in what they keep.
Timings are printed, never asserted.

    .hubkit/envs/sql/bin/python benchmarks/sql_results.py [--rows 1000000] [--repeat 1]
        [--databases postgresql mariadb sqlite duckdb] [--json out.json]
"""

# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

QUERY = "SELECT * FROM bench"

PG_CREATE = """
CREATE TABLE bench AS
SELECT g::bigint AS id,
       CASE WHEN g % 20 = 0 THEN NULL ELSE (g * 7) % 100000 END::int AS qty,
       CASE WHEN g % 19 = 0 THEN NULL ELSE g / 3.0 END::float8 AS score,
       CASE WHEN g % 21 = 0 THEN NULL ELSE (g % 100000) / 100.0 END::numeric(12, 2) AS price,
       'customer-' || (g % 5000) AS customer,
       CASE WHEN g % 22 = 0 THEN NULL ELSE md5(g::text) END AS note,
       DATE '2020-01-01' + (g % 2000) AS day,
       TIMESTAMPTZ '2020-01-01 00:00+00' + g * INTERVAL '1 minute' AS at,
       CASE WHEN g % 23 = 0 THEN NULL ELSE g % 2 = 0 END AS flag,
       (g % 300)::smallint AS bucket
FROM generate_series(1, {rows}) AS g"""

MY_CREATE = """
SET SESSION max_heap_table_size = 1073741824;
CREATE TABLE bench (id bigint PRIMARY KEY, qty int, score double, price decimal(12, 2),
  customer varchar(40), note varchar(40), day date, at timestamp NULL, flag boolean,
  bucket smallint) ENGINE=InnoDB;
INSERT INTO bench
SELECT seq, IF(seq % 20 = 0, NULL, (seq * 7) % 100000), IF(seq % 19 = 0, NULL, seq / 3.0),
       IF(seq % 21 = 0, NULL, (seq % 100000) / 100.0), CONCAT('customer-', seq % 5000),
       IF(seq % 22 = 0, NULL, MD5(seq)), DATE '2020-01-01' + INTERVAL (seq % 2000) DAY,
       TIMESTAMP '2020-01-01 00:00:00' + INTERVAL seq MINUTE, IF(seq % 23 = 0, NULL, seq % 2 = 0),
       seq % 300
FROM seq_1_to_{rows};"""

DUCK_CREATE = """
CREATE TABLE bench AS
SELECT g::bigint AS id,
       CASE WHEN g % 20 = 0 THEN NULL ELSE (g * 7) % 100000 END::int AS qty,
       CASE WHEN g % 19 = 0 THEN NULL ELSE g / 3.0 END::double AS score,
       CASE WHEN g % 21 = 0 THEN NULL ELSE (g % 100000) / 100.0 END::decimal(12, 2) AS price,
       'customer-' || (g % 5000) AS customer,
       CASE WHEN g % 22 = 0 THEN NULL ELSE md5(g::text) END AS note,
       DATE '2020-01-01' + (g % 2000)::int AS day,
       TIMESTAMPTZ '2020-01-01 00:00+00' + g * INTERVAL '1 minute' AS at,
       CASE WHEN g % 23 = 0 THEN NULL ELSE g % 2 = 0 END AS flag,
       (g % 300)::smallint AS bucket
FROM range(1, {rows} + 1) AS t(g)"""

SQLITE_CREATE = """
CREATE TABLE bench (id INTEGER PRIMARY KEY, qty INTEGER, score REAL, price NUMERIC,
  customer TEXT, note TEXT, day DATE, at TIMESTAMP, flag BOOLEAN, bucket INTEGER);
WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < {rows})
INSERT INTO bench
SELECT g, CASE WHEN g % 20 = 0 THEN NULL ELSE (g * 7) % 100000 END,
       CASE WHEN g % 19 = 0 THEN NULL ELSE g / 3.0 END,
       CASE WHEN g % 21 = 0 THEN NULL ELSE (g % 100000) / 100.0 END,
       'customer-' || (g % 5000), CASE WHEN g % 22 = 0 THEN NULL ELSE hex(randomblob(16)) END,
       date('2020-01-01', '+' || (g % 2000) || ' days'),
       datetime('2020-01-01', '+' || g || ' minutes'),
       CASE WHEN g % 23 = 0 THEN NULL ELSE g % 2 = 0 END, g % 300
FROM s;"""

# The child: one read, then a JSON line with the seconds and the dtypes it gave.
CHILD = r"""
import json, os, sys, time
variant, url = sys.argv[1], sys.argv[2]
query = "SELECT * FROM bench"
def plain(u, drop_driver=True):
    from sqlalchemy.engine import make_url
    u = make_url(u)
    return u.set(drivername=u.get_backend_name()).render_as_string(hide_password=False)
if variant in ("magic", "magic_adbc"):
    from IPython.testing.globalipapp import get_ipython
    ip = get_ipython()
    ip.run_line_magic("load_ext", "hubkit_kernel")
    if variant == "magic_adbc":  # SQLite through ADBC: faster, not interruptible mid-query
        ip.run_line_magic("config", "SqlCellMagics.sqlite_adbc = True")
    from IPython.utils.capture import capture_output
    with capture_output():  # connect before timing, as the direct paths do
        ip.run_cell_magic("sql_cell", "-c bench -o warm", "SELECT 1 AS one")
    start = time.perf_counter()
    with capture_output():
        ip.run_cell_magic("sql_cell", "-c bench", query)
    seconds = time.perf_counter() - start
    df = ip.user_ns["df"]
elif variant == "jupysql":
    from IPython.testing.globalipapp import get_ipython
    from IPython.utils.capture import capture_output
    ip = get_ipython()
    with capture_output():  # its tips and "Connecting to" lines
        ip.run_line_magic("load_ext", "sql")
        ip.run_line_magic("config", "SqlMagic.autopandas = True")
        ip.run_line_magic("config", "SqlMagic.displaycon = False")
        ip.run_line_magic("sql", url)
        start = time.perf_counter()
        df = ip.run_cell_magic("sql", "", query)
        seconds = time.perf_counter() - start
elif variant == "read_sql":
    import pandas as pd
    from sqlalchemy import create_engine
    engine = create_engine(url)
    with engine.connect() as conn:
        start = time.perf_counter()
        df = pd.read_sql(query, conn)
        seconds = time.perf_counter() - start
elif variant == "connectorx":
    import connectorx as cx
    u = plain(url)
    if u.startswith("sqlite"):
        u = "sqlite://" + u.split("sqlite:///", 1)[1]
    start = time.perf_counter()
    df = cx.read_sql(u, query, return_type="pandas")
    seconds = time.perf_counter() - start
elif variant in ("adbc_pg", "adbc_sqlite"):
    if variant == "adbc_pg":
        import adbc_driver_postgresql.dbapi as drv
        conn = drv.connect(plain(url))
    else:
        import adbc_driver_sqlite.dbapi as drv
        conn = drv.connect(url.split("sqlite:///", 1)[1])
    import pandas
    cur = conn.cursor()
    start = time.perf_counter()
    cur.execute(query)
    df = cur.fetch_df()
    seconds = time.perf_counter() - start
elif variant == "duckdb_df":
    import duckdb
    con = duckdb.connect(url.split("duckdb:///", 1)[1], read_only=True)
    start = time.perf_counter()
    df = con.sql(query).df()
    seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "rows": len(df),
                  "dtypes": {c: str(df[c].dtype) for c in ("qty", "price", "at", "flag")}}))
"""

VARIANTS = {
    "postgresql": ["magic", "adbc_pg", "connectorx", "jupysql", "read_sql"],
    "mariadb": ["magic", "connectorx", "jupysql", "read_sql"],
    "sqlite": ["magic", "magic_adbc", "adbc_sqlite", "connectorx", "jupysql", "read_sql"],
    "duckdb": ["magic", "duckdb_df", "jupysql", "read_sql"],
}
# Not the fastest direct path: the magic is compared with the others.
SLOW_PATHS = ("magic", "magic_adbc", "jupysql", "read_sql")
BASELINE = "read_sql"


def measure(variant: str, url: str) -> dict:
    """One read in a fresh Python: its seconds (from the child) and its peak RSS."""
    env = {**os.environ, "HUBKIT_SHARED_CONNECTIONS": json.dumps({"bench": {"url": url}}),
           "HUBKIT_CONNECTIONS_FILE": os.devnull}  # fmt: skip
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, variant, url], stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, env=env, text=True,
    )  # fmt: skip
    out, err = proc.stdout.read(), proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        return {"error": (err.strip().splitlines() or ["?"])[-1]}
    # the JSON line; jupysql prints "Closing <url>" after it, at exit
    result = json.loads([line for line in out.splitlines() if line.startswith("{")][-1])
    result["rss_mb"] = usage.ru_maxrss / 1024  # kilobytes on Linux
    return result


def setup(rows: int, folder: Path, stack) -> dict[str, str]:
    import databases
    import duckdb

    urls = {}
    started = time.perf_counter()
    pg = stack.enter_context(databases.PostgresCluster())
    urls["postgresql"] = pg.create_database("bench")
    pg.psql(PG_CREATE.format(rows=rows), "bench")
    pg.psql("VACUUM ANALYZE bench", "bench")
    my = stack.enter_context(databases.MariaDBServer())
    urls["mariadb"] = my.create_database("bench")
    my.client(MY_CREATE.format(rows=rows), "bench")
    path = folder / "bench.sqlite"
    with sqlite3.connect(path) as conn:
        conn.executescript(SQLITE_CREATE.format(rows=rows))
    urls["sqlite"] = f"sqlite:///{path}"
    duck = folder / "bench.duckdb"
    with duckdb.connect(str(duck)) as con:
        con.execute(DUCK_CREATE.format(rows=rows))
    urls["duckdb"] = f"duckdb:///{duck}"
    print(f"loaded {rows:,} rows into 4 databases in {time.perf_counter() - started:.0f} s\n")
    return urls


def main(argv: list[str] | None = None) -> int:
    import contextlib

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows in each table")
    parser.add_argument("--repeat", type=int, default=1, help="measured reads per variant")
    parser.add_argument("--json", type=Path, help="also write every measurement here")
    parser.add_argument(
        "--databases", nargs="+", choices=list(VARIANTS), default=list(VARIANTS),
        help="measure only these (all four are still loaded)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    report: dict = {"rows": args.rows, "databases": {}}
    with (
        tempfile.TemporaryDirectory(prefix="hubkit-bench-") as tmp,
        contextlib.ExitStack() as stack,
    ):
        urls = setup(args.rows, Path(tmp), stack)
        head = (
            f"{'database':11} {'path':12} {'seconds':>8} {'vs base':>8} {'peak MB':>8}"
            f" {'vs base':>8}  dtypes: qty / price / at / flag"
        )
        print(head)
        print("-" * len(head))
        for database in args.databases:
            variants = VARIANTS[database]
            runs = {v: [measure(v, urls[database]) for _ in range(args.repeat)] for v in variants}
            report["databases"][database] = runs
            medians = {}
            for variant, results in runs.items():
                good = [r for r in results if "error" not in r]
                if good:
                    medians[variant] = (
                        statistics.median(r["seconds"] for r in good),
                        statistics.median(r["rss_mb"] for r in good),
                        good[0]["dtypes"],
                    )
            base = medians.get(BASELINE)
            for variant, results in runs.items():
                if variant not in medians:
                    print(f"{database:11} {variant:12} failed: {results[0]['error'][:80]}")
                    continue
                seconds, rss, dtypes = medians[variant]
                ratio_t = f"{seconds / base[0]:.2f}x" if base else "-"
                ratio_m = f"{rss / base[1]:.2f}x" if base else "-"
                kinds = " / ".join(dtypes.values())
                print(
                    f"{database:11} {variant:12} {seconds:8.2f} {ratio_t:>8} {rss:8.0f}"
                    f" {ratio_m:>8}  {kinds}"
                )
            direct = min(
                (medians[v] for v in medians if v not in SLOW_PATHS),
                key=lambda m: m[0],
                default=None,
            )
            for magic in ("magic", "magic_adbc"):
                if direct and magic in medians:
                    time_ratio = medians[magic][0] / direct[0]
                    memory_ratio = medians[magic][1] / direct[1]
                    print(
                        f"{'':11} {magic} / fastest direct: {time_ratio:.2f}x time,"
                        f" {memory_ratio:.2f}x memory"
                    )
            print()
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
