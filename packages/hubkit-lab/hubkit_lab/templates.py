"""Notebook templates: the admin's templates folder, listed for the launcher, and new notebooks
made from one (GET and POST /hubkit-lab/templates).

The folder is HUBKIT_TEMPLATES_DIR (set by hubkit's spawners: read-only in Docker, the
repository's notebooks/templates or the admin's folder in local mode). A template is any
`.ipynb` in it; its title is its first Markdown heading, its description the paragraph after it.
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import asyncio
import json
import os
import re
from pathlib import Path
from typing import Any

import nbformat
from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from tornado import web

TEMPLATES_ENV = "HUBKIT_TEMPLATES_DIR"


def templates_dir() -> Path | None:
    value = os.environ.get(TEMPLATES_ENV, "")
    return Path(value) if value else None


def describe(path: Path) -> dict[str, str]:
    """A template's name (its file name), title and description."""
    title, description = path.stem.replace("-", " ").replace("_", " "), ""
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception:  # an unreadable file is still listed; creating from it says why
        nb = None
    for cell in nb.cells if nb else []:
        if cell.cell_type != "markdown":
            continue
        lines = [line.strip() for line in cell.source.splitlines()]
        heading = next((line for line in lines if line.startswith("#")), None)
        if heading:
            title = heading.lstrip("#").strip()
            rest = lines[lines.index(heading) + 1 :]
            description = " ".join(line for line in rest if line).strip()
            description = re.split(r"(?<=[.!?])\s", description)[0] if description else ""
        break
    return {"name": path.name, "title": title, "description": description}


def template_paths(folder: Path | None) -> list[Path]:
    if folder is None or not folder.is_dir():
        return []
    return [p for p in sorted(folder.glob("*.ipynb")) if not p.name.startswith(".")]


def list_templates(folder: Path | None) -> list[dict[str, str]]:
    return [describe(p) for p in template_paths(folder)]


class TemplatesHandler(APIHandler):
    """GET: the templates. POST {"name", "dir"}: a new notebook in `dir` from template `name`;
    answers its path."""

    auth_resource = "hubkit-lab"

    @web.authenticated
    @authorized
    async def get(self) -> None:
        # off the event loop: every notebook in the admin's folder is read
        templates = await asyncio.to_thread(list_templates, templates_dir())
        self.finish(json.dumps({"templates": templates}))

    @web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.get_json_body() or {}
        name, folder = body.get("name"), str(body.get("dir") or "").strip("/")
        source = templates_dir()
        if not isinstance(name, str) or name not in {p.name for p in template_paths(source)}:
            raise web.HTTPError(404, f"No template named {name!r}")
        try:
            nb = nbformat.read(source / name, as_version=4)
        except Exception as e:
            raise web.HTTPError(422, f"Template {name} is not a readable notebook: {e}") from e
        cm = self.contents_manager
        filename = await cm.increment_filename(name, folder, insert="-")
        path = f"{folder}/{filename}" if folder else filename
        model = await cm.new({"type": "notebook", "content": nb}, path)
        self.set_status(201)
        self.finish(json.dumps({"path": model["path"]}))


def templates_routes() -> list[tuple[str, Any]]:
    return [("templates", TemplatesHandler)]
