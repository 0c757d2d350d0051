"""A notebook's history (hubkit_lab.history) and the bounded document store
(hubkit_lab.ystore), on real Jupyter servers with jupyter-collaboration."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from collab_client import churn, joined
from jupyter_ydoc import YNotebook
from lab_servers import TOKEN, Server, jupyter_server
from pycrdt import Doc

pytestmark = pytest.mark.slow
YSTORE = ".jupyter_ystore.db"


def notebook(*sources: str) -> dict:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s, id=f"cell-{i}") for i, s in enumerate(sources)]
    return json.loads(nbformat.writes(nb))


def put(server: Server, path: str, content: dict) -> None:
    r = server.request(
        "PUT", f"/api/contents/{path}", json={"type": "notebook", "content": content}
    )
    assert r.status_code in (200, 201), r.text


def history(server: Server, path: str, **body: object):
    if body:
        return server.request("POST", f"/hubkit-lab/history?path={path}", json=body)
    return server.get(f"/hubkit-lab/history?path={path}")


def saved_sources(server: Server, path: str) -> list[str]:
    r = server.get(f"/api/contents/{path}")
    r.raise_for_status()
    return [c["source"] for c in r.json()["content"]["cells"]]


BOUND_MB = 0.25


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    """A server keeping 2 checkpoints made on save, with a document store bounded to 0.25 MB."""
    home = tmp_path_factory.mktemp("history") / "home"
    with jupyter_server(
        home,
        "--HistoryCheckpoints.keep_saves=2",
        f"--SQLiteYStore.db_path={home / YSTORE}",
        f"--BoundedYStore.cleanup_when_db_size_above={BOUND_MB}",
    ) as server:
        server.home = home  # type: ignore[attr-defined]
        yield server


def test_checkpoints_on_save_and_named_are_kept_bounded_compared_and_restored(server):
    home = server.home
    path = "analysis.ipynb"
    put(server, path, notebook("x = 1", "y = 2"))
    # JupyterLab's save asks for a checkpoint; a second one with nothing changed makes none
    for _ in range(2):
        r = server.request("POST", f"/api/contents/{path}/checkpoints")
        assert r.status_code == 201, r.text
    [first] = history(server, path).json()["checkpoints"]
    assert (first["kind"], first["name"]) == ("save", "")
    assert first["author"]["username"]  # the token's user
    # A named checkpoint of the notebook as it is now
    put(server, path, notebook("x = 10", "y = 2", "z = 3"))
    r = history(server, path, name="Before the cleanup")
    assert r.status_code == 201, r.text
    named = r.json()["id"]
    # Each save with changes adds one; only the newest 2 made on save are kept
    for source in ("x = 11", "x = 12", "x = 13"):
        put(server, path, notebook(source, "y = 2"))
        server.request("POST", f"/api/contents/{path}/checkpoints").raise_for_status()
    listed = history(server, path).json()["checkpoints"]
    assert [(c["kind"], c["name"]) for c in listed] == [
        ("save", ""),
        ("save", ""),
        ("named", "Before the cleanup"),
    ]
    # JupyterLab's own list (File > Revert) sees the same checkpoints, oldest first
    stock = server.get(f"/api/contents/{path}/checkpoints").json()
    assert [c["id"] for c in stock] == [c["id"] for c in reversed(listed)]
    # Kept beside the file, in a hidden folder
    kept = sorted(p.name for p in (home / ".ipynb_history" / path).iterdir())
    assert f"{named}.ipynb" in kept and f"{named}.json" in kept and len(kept) == 6

    # The comparison with the notebook now: cell 1 changed, cell 3 deleted since
    rows = history(server, path, action="diff", id=named).json()["cells"]
    assert [r["kind"] for r in rows] == ["modified", "unchanged", "removed"]
    assert (rows[0]["old"]["source"], rows[0]["new"]["source"]) == ("x = 10", "x = 13")
    assert rows[2]["old"]["id"] == "cell-2"

    # Restoring one cell with nobody in the notebook: the file changes, that cell only
    r = history(server, path, action="restore", id=named, cell_id="cell-2")
    assert r.json()["live"] is False
    assert saved_sources(server, path) == ["x = 13", "y = 2", "z = 3"]
    r = history(server, path, action="restore", id=named)
    assert saved_sources(server, path) == ["x = 10", "y = 2", "z = 3"]

    # Bad input is named
    assert history(server, path, name="").status_code == 400
    r = history(server, path, action="diff", id="nope")
    assert r.status_code == 404 and "nope" in r.json()["message"]
    r = history(server, path, action="restore", id=named, cell_id="cell-9")
    assert r.status_code == 404 and "cell-9" in r.json()["message"]
    r = history(server, "notes.txt")
    assert r.status_code == 400 and "notes.txt" in r.json()["message"]


def store_size_after(server: Server, db: Path, times: int, size: int) -> tuple[int, str]:
    """A long edit session (paste and delete `size` characters, `times` times) by a
    collaborator in a new notebook; the store's size and the notebook it holds afterwards."""
    path = f"long-{db.parent.name}.ipynb"
    put(server, path, notebook("start = 1"))

    async def session() -> None:
        async with joined(server.url, TOKEN, path) as nb:
            await churn(nb, 0, times=times, size=size, delay=0.02)
            source = nb.ycells[0]["source"]
            source += "  # done"  # (not `ycells[0]["source"] += `: that sets a new Text)
            await asyncio.sleep(3)  # the last updates reach the store

    started = time.monotonic()
    asyncio.run(session())
    print(f"{2 * times} updates in {time.monotonic() - started:.1f} s: {db.stat().st_size} B")
    # What the store holds rebuilds the document as edited
    doc = Doc()
    with sqlite3.connect(db) as con:
        query = "SELECT yupdate FROM yupdates WHERE path LIKE '%' || ? ORDER BY timestamp"
        room = server.request(
            "PUT", f"/api/collaboration/session/{path}", json={"format": "json", "type": "notebook"}
        ).json()["fileId"]
        for (update,) in con.execute(query, (f"{room}.y",)):
            doc.apply_update(update)
    return db.stat().st_size, YNotebook(doc).get()["cells"][0]["source"]


def test_the_document_store_stays_bounded_through_a_long_edit_session(server, tmp_path):
    times, size = 100, 6000
    bounded, kept = store_size_after(server, server.home / YSTORE, times, size)
    # The same session with jupyter-collaboration's own store, unbounded
    home = tmp_path / "unbounded"
    stock = "--YDocExtension.ystore_class=jupyter_server_ydoc.stores.SQLiteYStore"
    with jupyter_server(home, f"--SQLiteYStore.db_path={home / YSTORE}", stock) as reference:
        unbounded, _ = store_size_after(reference, home / YSTORE, times, size)
    print(f"store after {2 * times} edits: bounded {bounded} B, unbounded {unbounded} B")
    # Without a bound the store keeps every paste; with it, it stays near the bound
    assert unbounded > 0.9 * times * size
    assert bounded <= BOUND_MB * 1024 * 1024 + 2 * size + 64 * 1024
    assert unbounded > 2 * bounded
    # And squashing kept the document
    assert kept == "start = 1  # done"
