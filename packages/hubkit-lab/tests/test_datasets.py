"""Tests for the read-only shared datasets folder in local mode (hubkit_lab.datasets)."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from tornado import web

from hubkit_lab.datasets import DatasetsContentsManager


@pytest.fixture
def manager(tmp_path: Path) -> DatasetsContentsManager:
    """A home whose `datasets` links to the shared folder, as local mode's spawner makes it."""
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "sales.csv").write_text("a\n1\n")
    home = tmp_path / "home"
    (home / "work").mkdir(parents=True)
    (home / "datasets").symlink_to(shared)
    return DatasetsContentsManager(root_dir=str(home), read_only_dirs=["datasets"])


def save(manager: DatasetsContentsManager, path: str) -> None:
    model = {"type": "file", "format": "text", "content": "mine"}
    asyncio.run(manager.save(model, path))


@pytest.mark.parametrize(
    "path", ["datasets/new.csv", "./datasets/new.csv", "work/../datasets/new.csv", "/datasets/x"]
)
def test_no_spelling_of_a_path_writes_into_the_datasets(manager, tmp_path, path):
    # When a user saves into the shared folder, however the path is written
    with pytest.raises(web.HTTPError) as refused:
        save(manager, path)
    # Then it is refused, naming the folder, and nothing was written
    assert (
        refused.value.status_code == 403 and "datasets/ is read-only" in refused.value.log_message
    )
    assert sorted(p.name for p in (tmp_path / "shared").iterdir()) == ["sales.csv"]


def test_renames_and_deletes_in_the_datasets_are_refused_and_the_home_stays_writable(manager):
    for change in (
        lambda: manager.rename_file("./datasets/sales.csv", "work/sales.csv"),
        lambda: manager.rename_file("work/x", "work/../datasets/x"),
        lambda: manager.delete_file("datasets/./sales.csv"),
    ):
        with pytest.raises(web.HTTPError):
            asyncio.run(change())
    save(manager, "work/notes.txt")
    save(manager, "datasets-mine.txt")  # a name that only starts like the folder
    assert (Path(manager.root_dir) / "datasets-mine.txt").read_text() == "mine"
