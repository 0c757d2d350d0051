"""Tests for the lock-refresh diff shown in the scheduled pull request."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import subprocess
import sys

import yaml

from hubkit.images.lockdiff import diff, markdown, versions

from .conftest import conda_pkg, lock_data


def lock(*pkgs):
    return yaml.safe_dump(lock_data(list(pkgs)))


def test_diff_shows_upgrades_additions_and_removals_per_platform():
    old = versions(lock(conda_pkg("numpy", "2.3.1"), conda_pkg("six", "1.16")))
    new = versions(
        lock(
            conda_pkg("numpy", "2.3.4"),
            conda_pkg("polars", "1.31"),
            conda_pkg("numpy", "2.3.1", "linux-aarch64"),
        )
    )
    assert old == {("linux-64", "numpy"): "2.3.1", ("linux-64", "six"): "1.16"}
    assert diff(old, new) == [
        ("linux-64", "numpy", "2.3.1", "2.3.4"),
        ("linux-64", "polars", "", "1.31"),
        ("linux-64", "six", "1.16", ""),
        ("linux-aarch64", "numpy", "", "2.3.1"),
    ]
    text = markdown("envs/sql/conda-lock.yml", diff(old, new))
    assert "| linux-64 | numpy | 2.3.1 | 2.3.4 |" in text
    assert "| linux-64 | polars | added | 1.31 |" in text
    assert "| linux-64 | six | 1.16 | removed |" in text


def test_unchanged_lock_says_so():
    same = versions(lock(conda_pkg("numpy", "2.3.1")))
    assert markdown("envs/r/conda-lock.yml", diff(same, same)).endswith("No version changes.\n")


def test_cli_compares_against_a_git_ref(tmp_path):
    def git(*args):
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    git("init", "-q")
    git("config", "user.email", "t@t")
    git("config", "user.name", "t")
    path = tmp_path / "conda-lock.yml"
    path.write_text(lock(conda_pkg("numpy", "2.3.1")))
    git("add", "conda-lock.yml")
    git("commit", "-qm", "lock")
    path.write_text(lock(conda_pkg("numpy", "2.4.0")))
    result = subprocess.run(
        [sys.executable, "-m", "hubkit.images.lockdiff", "--base", "HEAD", "conda-lock.yml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "| linux-64 | numpy | 2.3.1 | 2.4.0 |" in result.stdout
