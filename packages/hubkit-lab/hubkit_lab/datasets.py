"""The shared datasets folder, read-only in the file browser unless the server may write it.

In Docker the datasets folder is mounted read-only for everyone but the data stewards (the
kernel cannot write it either). Local mode runs every server as the hub's own system user, so
there the read-only part is this contents manager: the file browser, the editors and the
Contents API refuse to save, rename or delete under the folder (code in a kernel still could).
The spawner says which folder and whether this server may write (HUBKIT_DATASETS_READONLY).
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import os
from typing import Any

from jupyter_server.services.contents.largefilemanager import AsyncLargeFileManager
from tornado import web
from traitlets import List, Unicode, default

# Set by hubkit's spawners: the folders (relative to the server's root) this server may not
# change, separated by os.pathsep.
READONLY_ENV = "HUBKIT_DATASETS_READONLY"


class DatasetsContentsManager(AsyncLargeFileManager):
    """jupyter_server's default contents manager, with folders it will not change."""

    read_only_dirs = List(
        Unicode(),
        help="""Folders, relative to the server's root, whose contents cannot be saved,
        renamed or deleted through the server (the shared datasets for users who are not data
        stewards). Default: HUBKIT_DATASETS_READONLY, set by hubkit's spawners.""",
    ).tag(config=True)

    @default("read_only_dirs")
    def _default_read_only_dirs(self) -> list[str]:
        return [d for d in os.environ.get(READONLY_ENV, "").split(os.pathsep) if d]

    def check_writable(self, path: str) -> None:
        """Raise 403 naming the folder when `path` is in (or is) a read-only folder: compared
        as the files they name (`./`, `..` and links resolved), as the server will write."""
        target = os.path.realpath(self._get_os_path(path))
        for folder in self.read_only_dirs:
            folder = folder.strip("/")
            guarded = os.path.realpath(os.path.join(self.root_dir, folder))
            if os.path.commonpath([target, guarded]) == guarded:
                raise web.HTTPError(
                    403,
                    f"{folder}/ is read-only: it holds the hub's shared datasets, which only "
                    "data stewards may change. Save your copy in your home instead.",
                )

    async def save(self, model: dict[str, Any], path: str = "") -> dict[str, Any]:
        self.check_writable(path)
        return await super().save(model, path)

    async def delete_file(self, path: str) -> None:
        self.check_writable(path)
        await super().delete_file(path)

    async def rename_file(self, old_path: str, new_path: str) -> None:
        self.check_writable(old_path)
        self.check_writable(new_path)
        await super().rename_file(old_path, new_path)
