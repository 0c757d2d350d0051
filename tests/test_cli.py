"""Tests for the `hubkit` command: clear one-line errors, no tracebacks, exit code 1."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import os
import subprocess
import sys


def hubkit(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "hubkit", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=120,
    )


def test_catalog_check_passes_on_the_repository():
    result = hubkit("catalog-check")
    assert result.returncode == 0, result.stderr
    assert "catalog.yaml: OK" in result.stdout
    assert "profile everything   kernels: python3, ir, julia" in result.stdout


def test_broken_catalog_is_one_clear_line(tmp_path):
    bad = tmp_path / "catalog.yaml"
    bad.write_text("environments: {}\nprofiles: []\n")
    result = hubkit("catalog-check", "--catalog", str(bad))
    assert result.returncode == 1
    assert result.stderr.startswith(f"hubkit: error: {bad}: environments:")
    assert "Traceback" not in result.stderr


def test_lock_without_conda_lock_says_how_to_get_it(tmp_path):
    result = hubkit("lock", PATH=str(tmp_path))
    assert result.returncode == 1
    assert "conda-lock is not installed: run `pixi run lock`" in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_profile_lists_the_catalog(tmp_path):
    result = hubkit("local", "install", "--profile", "fortran", HUBKIT_HOME=str(tmp_path))
    assert result.returncode == 1
    assert "unknown profile 'fortran'; the catalog has: python-sql, r, julia" in result.stderr
