"""A notebook's history: checkpoints made on save and named ones, listed with who made them and
when, compared with the current notebook (nbdime) and restored, whole or one cell, through the
shared document so that collaborators see it at once and keep their edits in other cells.

Why jupyter_server's checkpoints API, extended: JupyterLab already calls it. Saving (Ctrl+S, the
toolbar's save button) saves and then asks for a checkpoint (POST /api/contents/<path>/
checkpoints), and File > Revert Notebook to Checkpoint lists and restores them. The stock
`FileCheckpoints` keeps one checkpoint per file, which each save overwrites; `HistoryCheckpoints`
keeps many (each with an id, a name, the person who made it and when), so both the stock menu
items and the History panel see the same list. It is configured as the contents manager's
`checkpoints_class` in the Python environment's server config
(envs/python/etc/jupyter/jupyter_server_config.json).

Where: beside each file, in a hidden folder `.ipynb_history/<file name>/` of the file's folder
(`<id>.ipynb` and `<id>.json` with the name and author); hidden files are not served, so the
folder shows in no file browser. Bounded per file by `keep_saves`, `keep_named` and
`max_age_days`.
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import copy
import json
import os
import shutil
import time
from datetime import UTC, datetime
from typing import Any

import nbformat
from anyio.to_thread import run_sync
from jupyter_server.auth.decorator import authorized
from jupyter_server.base.call_context import CallContext
from jupyter_server.base.handlers import APIHandler
from jupyter_server.services.contents.filecheckpoints import AsyncFileCheckpoints
from tornado import web
from traitlets import Float, Int, Unicode

from .handlers import AUTH_RESOURCE

# A checkpoint made on save, or one a person named
SAVE, NAMED = "save", "named"
MAX_NAME = 100


def _now_id() -> str:
    """Ids sort by time: UTC with microseconds (`20261130T140102.123456Z`)."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")


def _author() -> dict[str, str] | None:
    """The person whose request this is (jupyter_server keeps the handler of each request)."""
    handler = CallContext.get(CallContext.JUPYTER_HANDLER)
    user = getattr(handler, "current_user", None) if handler is not None else None
    if user is None or not getattr(user, "username", None):
        return None
    return {"username": user.username, "display_name": user.display_name or user.username}


class HistoryCheckpoints(AsyncFileCheckpoints):
    """Many checkpoints per file, kept beside it in a hidden folder (see the module's text)."""

    checkpoint_dir = Unicode(
        ".ipynb_history",
        config=True,
        help="""The hidden folder, in each file's own folder, that keeps the file's
        checkpoints (one subfolder per file name).

        .. versionadded:: 0.1
        """,
    )

    keep_saves = Int(
        20,
        config=True,
        help="""How many checkpoints made on save (Ctrl+S, File > Save) are kept per file; the
        oldest go first. A save that changed nothing since the last checkpoint makes none.

        .. versionadded:: 0.1
        """,
    )

    keep_named = Int(
        50,
        config=True,
        help="""How many named checkpoints (Create Checkpoint…) are kept per file; the oldest
        go first.

        .. versionadded:: 0.1
        """,
    )

    max_age_days = Float(
        90.0,
        config=True,
        help="""Checkpoints older than this many days are deleted when the file gets a new
        one. 0 keeps them regardless of age (the counts still apply).

        .. versionadded:: 0.1
        """,
    )

    def _folder(self, path: str) -> str:
        """`<the file's folder>/.ipynb_history/<file name>`, made or not."""
        parent, name = ("/" + path.strip("/")).rsplit("/", 1)
        return os.path.join(self._get_os_path(path=parent.strip("/")), self.checkpoint_dir, name)

    def checkpoint_path(self, checkpoint_id: str, path: str) -> str:
        """`<folder>/.ipynb_history/<name>/<id><ext>`, its folder made."""
        folder = self._folder(path)
        with self.perm_to_403():
            os.makedirs(folder, exist_ok=True)
        return os.path.join(folder, checkpoint_id + os.path.splitext(path)[1])

    def _meta_path(self, checkpoint_id: str, path: str) -> str:
        return os.path.splitext(self.checkpoint_path(checkpoint_id, path))[0] + ".json"

    def _ids(self, path: str) -> list[str]:
        folder = self._folder(path)
        ext = os.path.splitext(path)[1]
        names = os.listdir(folder) if os.path.isdir(folder) else []
        kept = [n for n in names if n.endswith(ext) and not n.endswith(".json")]
        return sorted(n[: len(n) - len(ext)] if ext else n for n in kept)

    def _model(self, checkpoint_id: str, path: str) -> dict[str, Any]:
        """jupyter_server's checkpoint model (id, last_modified) with hubkit's name, kind,
        author and creation time."""
        os_path = self.checkpoint_path(checkpoint_id, path)
        try:
            with open(self._meta_path(checkpoint_id, path)) as f:
                meta = json.load(f)
        except (OSError, ValueError):
            meta = {}
        modified = datetime.fromtimestamp(os.stat(os_path).st_mtime, UTC)
        return {
            "id": checkpoint_id,
            "last_modified": modified,
            "name": meta.get("name", ""),
            "kind": meta.get("kind", SAVE),
            "author": meta.get("author"),
            "created": meta.get("created", modified.isoformat()),
        }

    async def create_checkpoint(
        self,
        contents_mgr: Any,
        path: str,
        name: str = "",
        content: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A new checkpoint of the file as saved, or of `content` (a notebook) when given.
        Unnamed (on save): none when nothing changed since the newest checkpoint."""
        return await run_sync(self._create, contents_mgr, path, name, content)

    def _create(
        self, contents_mgr: Any, path: str, name: str, content: dict[str, Any] | None
    ) -> dict[str, Any]:
        path = path.strip("/")
        checkpoint_id = _now_id()
        dest = self.checkpoint_path(checkpoint_id, path)
        if content is None:
            with self.perm_to_403():
                shutil.copy2(contents_mgr._get_os_path(path), dest)
        else:
            nbformat.write(nbformat.from_dict(content), dest)
        ids = self._ids(path)
        earlier = [i for i in ids if i != checkpoint_id]
        if not name and earlier and _same_file(dest, self.checkpoint_path(earlier[-1], path)):
            os.unlink(dest)
            return self._model(earlier[-1], path)
        meta = {
            "name": name,
            "kind": NAMED if name else SAVE,
            "author": _author(),
            "created": datetime.now(UTC).isoformat(),
        }
        with open(self._meta_path(checkpoint_id, path), "w") as f:
            json.dump(meta, f)
        self._prune(path)
        return self._model(checkpoint_id, path)

    def _prune(self, path: str) -> None:
        """Keep the newest `keep_saves` and `keep_named`; drop those over `max_age_days`."""
        models = [self._model(i, path) for i in self._ids(path)]
        too_old = time.time() - self.max_age_days * 86400 if self.max_age_days else None
        for kind, keep in ((SAVE, self.keep_saves), (NAMED, self.keep_named)):
            of_kind = [m for m in models if m["kind"] == kind]
            for i, model in enumerate(of_kind):
                newest = i >= len(of_kind) - max(keep, 1)
                old = too_old is not None and model["last_modified"].timestamp() < too_old
                if not newest or (old and i < len(of_kind) - 1):
                    self._delete(model["id"], path)

    def _delete(self, checkpoint_id: str, path: str) -> None:
        for os_path in (
            self.checkpoint_path(checkpoint_id, path),
            self._meta_path(checkpoint_id, path),
        ):
            if os.path.exists(os_path):
                os.unlink(os_path)

    async def list_checkpoints(self, path: str) -> list[dict[str, Any]]:
        """Every checkpoint of the file, oldest first (JupyterLab's revert offers the last)."""
        path = path.strip("/")
        return [self._model(i, path) for i in self._ids(path)]

    async def rename_checkpoint(self, checkpoint_id: str, old_path: str, new_path: str) -> None:
        """Move a checkpoint and its description with its file."""
        await super().rename_checkpoint(checkpoint_id, old_path, new_path)
        old_meta = self._meta_path(checkpoint_id, old_path)
        if os.path.isfile(old_meta):
            shutil.move(old_meta, self._meta_path(checkpoint_id, new_path))

    async def delete_checkpoint(self, checkpoint_id: str, path: str) -> None:
        await super().delete_checkpoint(checkpoint_id, path)
        meta = self._meta_path(checkpoint_id, path)
        if os.path.isfile(meta):
            os.unlink(meta)

    def read_notebook(self, checkpoint_id: str, path: str) -> dict[str, Any]:
        """A checkpoint's notebook (404 naming it when there is none)."""
        if checkpoint_id not in self._ids(path):
            self.no_such_checkpoint(path, checkpoint_id)
        return nbformat.read(self.checkpoint_path(checkpoint_id, path), as_version=4)


def _same_file(a: str, b: str) -> bool:
    with open(a, "rb") as fa, open(b, "rb") as fb:
        return fa.read() == fb.read()


def restored(current: dict[str, Any], checkpoint: dict[str, Any], cell_id: str | None) -> dict:
    """The notebook after restoring `checkpoint` (whole) or only its cell `cell_id`: that cell
    replaces the current cell with the same id, or comes back after the cell that preceded it
    in the checkpoint when it was deleted since."""
    if cell_id is None:
        return checkpoint
    old_cells = checkpoint["cells"]
    index = next((i for i, c in enumerate(old_cells) if c.get("id") == cell_id), None)
    if index is None:
        raise web.HTTPError(404, f"No cell {cell_id!r} in the checkpoint")
    result = copy.deepcopy(current)
    cells = result["cells"]
    ids = [c.get("id") for c in cells]
    if cell_id in ids:
        cells[ids.index(cell_id)] = old_cells[index]
        return result
    before = [c.get("id") for c in old_cells[:index]]
    at = next((ids.index(i) + 1 for i in reversed(before) if i in ids), 0)
    cells.insert(at, old_cells[index])
    return result


def cell_rows(old: dict[str, Any], new: dict[str, Any]) -> list[dict[str, Any]]:
    """The notebooks' cells side by side, aligned by nbdime: each row is `unchanged`,
    `modified` (with the parts that changed), `removed` (only in `old`) or `added`."""
    from nbdime import diff_notebooks

    old, new = _untrusted(old), _untrusted(new)
    diff = next((d["diff"] for d in diff_notebooks(old, new) if d["key"] == "cells"), [])
    added = {d["key"]: d["valuelist"] for d in diff if d["op"] == "addrange"}
    removed = {d["key"]: d["length"] for d in diff if d["op"] == "removerange"}
    patched = {d["key"]: sorted({p["key"] for p in d["diff"]}) for d in diff if d["op"] == "patch"}
    rows: list[dict[str, Any]] = []
    j = 0  # index in `new`
    skip = 0
    for i in range(len(old["cells"]) + 1):
        for cell in added.get(i, []):
            rows.append({"kind": "added", "old": None, "new": _cell(cell, j)})
            j += 1
        if i == len(old["cells"]):
            break
        skip = max(skip, removed.get(i, 0))
        if skip:
            rows.append({"kind": "removed", "old": _cell(old["cells"][i], i), "new": None})
            skip -= 1
            continue
        kind = "modified" if i in patched else "unchanged"
        rows.append(
            {
                "kind": kind,
                "changed": patched.get(i, []),
                "old": _cell(old["cells"][i], i),
                "new": _cell(new["cells"][j], j),
            }
        )
        j += 1
    return rows


def _untrusted(nb: dict[str, Any]) -> dict[str, Any]:
    """Without the cells' `trusted` marks, which the server adds as it reads a notebook."""
    nb = copy.deepcopy(nb)
    for cell in nb["cells"]:
        cell.get("metadata", {}).pop("trusted", None)
    return nb


def _cell(cell: dict[str, Any], index: int) -> dict[str, Any]:
    source = cell.get("source", "")
    return {
        "index": index,
        "id": cell.get("id"),
        "cell_type": cell.get("cell_type"),
        "source": "".join(source) if isinstance(source, list) else source,
    }


class HistoryHandler(APIHandler):
    """The History panel's API, for the notebook `path` (a query argument):

    - GET: its checkpoints, newest first
    - POST {"name"}: a named checkpoint of the notebook as it is now (unsaved edits included)
    - POST {"action": "diff", "id"}: the checkpoint's cells against the current ones
    - POST {"action": "restore", "id", "cell_id"?}: restore it whole, or only one cell
    """

    auth_resource = AUTH_RESOURCE

    @property
    def checkpoints(self) -> HistoryCheckpoints:
        checkpoints = self.contents_manager.checkpoints
        if not isinstance(checkpoints, HistoryCheckpoints):
            raise web.HTTPError(
                501,
                f"The contents manager's checkpoints are {type(checkpoints).__name__}, not "
                "hubkit_lab.history.HistoryCheckpoints: no notebook history here",
            )
        return checkpoints

    def _path(self) -> str:
        path = self.get_query_argument("path", "").strip("/")
        if not path.endswith(".ipynb"):
            raise web.HTTPError(400, f"Not a notebook: {path!r} (history is kept for .ipynb)")
        return path

    @web.authenticated
    @authorized
    async def get(self) -> None:
        path = self._path()
        models = await self.checkpoints.list_checkpoints(path)
        for model in models:
            model["last_modified"] = model["last_modified"].isoformat()
        self.finish(json.dumps({"checkpoints": models[::-1]}))

    @web.authenticated
    @authorized
    async def post(self) -> None:
        path = self._path()
        body = self.get_json_body() or {}
        action = body.get("action", "create")
        if action == "create":
            name = str(body.get("name", "")).strip()
            if not name or len(name) > MAX_NAME:
                raise web.HTTPError(
                    400, f"A checkpoint's name has 1 to {MAX_NAME} characters, not {len(name)}"
                )
            current = await self._current(path)
            model = await self.checkpoints.create_checkpoint(
                self.contents_manager, path, name=name, content=current
            )
            model["last_modified"] = model["last_modified"].isoformat()
            self.set_status(201)
            self.finish(json.dumps(model))
            return
        checkpoint_id = str(body.get("id", ""))
        old = await run_sync(self.checkpoints.read_notebook, checkpoint_id, path)
        if action == "diff":
            current = await self._current(path)
            rows = await run_sync(cell_rows, old, current)
            self.finish(json.dumps({"id": checkpoint_id, "cells": rows}))
        elif action == "restore":
            cell_id = body.get("cell_id")
            live = await self._restore(path, old, str(cell_id) if cell_id else None)
            self.finish(json.dumps({"restored": checkpoint_id, "cell_id": cell_id, "live": live}))
        else:
            raise web.HTTPError(400, f"Unknown action {action!r}: create, diff or restore")

    async def _document(self, path: str, copy: bool) -> Any:
        """The notebook's shared document (jupyter-collaboration), when someone has it open."""
        from .extension import extension_app

        try:
            from jupyter_server_ydoc.app import YDocExtension
        except ImportError:
            return None
        ydoc = extension_app(self.serverapp, YDocExtension)
        if ydoc is None:
            return None
        return await ydoc.get_document(
            path=path, content_type="notebook", file_format="json", copy=copy
        )

    async def _current(self, path: str) -> dict[str, Any]:
        """The notebook as collaborators see it now, else as saved."""
        document = await self._document(path, copy=True)
        if document is not None:
            return document.get()
        model = await self.contents_manager.get(path, content=True, type="notebook")
        return json.loads(json.dumps(model["content"]))  # NotebookNode to plain, dates to text

    async def _restore(self, path: str, old: dict[str, Any], cell_id: str | None) -> bool:
        """Apply the restore to the shared document (jupyter_ydoc updates only the cells
        that differ, so collaborators' edits elsewhere stay and they see the change live);
        with nobody in the notebook, to the file. True when it went through the document."""
        document = await self._document(path, copy=False)
        if document is not None:
            document.set(restored(document.get(), old, cell_id))
            return True
        current = await self._current(path)
        await self.contents_manager.save(
            {"type": "notebook", "format": "json", "content": restored(current, old, cell_id)},
            path,
        )
        return False


def history_routes() -> list[tuple[str, Any]]:
    return [("history", HistoryHandler)]
