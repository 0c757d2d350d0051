"""Tests for which notebook JupyterLab opens at the first visit (hubkit_lab.welcome)."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

from pathlib import Path

from hubkit_lab.welcome import STATE, welcome_to_open


def copied(home: Path, *names: str) -> None:
    """What hubkit's copy_welcome leaves: the files and the marker listing them."""
    for name in names:
        (home / name).parent.mkdir(parents=True, exist_ok=True)
        (home / name).write_text("{}")
    (home / STATE).mkdir(parents=True)
    (home / STATE / "welcome-copied").write_text("".join(f"{n}\n" for n in names))


def test_the_copied_notebook_opens_until_it_was_opened(tmp_path: Path) -> None:
    # Given the welcome files copied at the first start
    copied(tmp_path, "sample-data/shop.sqlite", "Welcome.ipynb")
    # Then the notebook (not the data) is the one to open
    assert welcome_to_open(tmp_path) == "Welcome.ipynb"
    # And once opened, nothing is
    (tmp_path / STATE / "welcome-opened").touch()
    assert welcome_to_open(tmp_path) is None


def test_nothing_opens_without_a_copy_or_after_the_user_deleted_it(tmp_path: Path) -> None:
    # Given a home the welcome was never copied to, nothing opens
    assert welcome_to_open(tmp_path) is None
    # Given the notebook deleted by the user before the first visit, nothing opens
    copied(tmp_path, "Welcome.ipynb")
    (tmp_path / "Welcome.ipynb").unlink()
    assert welcome_to_open(tmp_path) is None
