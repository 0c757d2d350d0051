"""Tests for local mode's view of the catalog: what is available and why not."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from hubkit.local import LocalLayout, profile_status


def test_absent_julia_is_reported_unavailable_with_a_hint(catalog, tmp_path, monkeypatch):
    # Given a machine without julia on PATH
    monkeypatch.setenv("PATH", str(tmp_path))
    # When local mode checks the julia profile
    status = profile_status(catalog, LocalLayout(tmp_path), "julia")
    # Then it says julia is missing and how to get it, and nothing crashes
    assert not status["julia"].available
    assert "`julia` not found on PATH" in status["julia"].reason
    assert "IJulia" in status["julia"].reason
    # And the uninstalled Python prefix names the command that installs it
    assert "run `hubkit local install`" in status["python"].reason


def test_optional_environment_names_the_profile_to_install(catalog, tmp_path):
    status = profile_status(catalog, LocalLayout(tmp_path), "ml")
    assert "hubkit local install --profile ml" in status["python"].reason


def test_status_command_lists_every_profile(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "hubkit", "local", "status"],
        capture_output=True,
        text=True,
        env={"HUBKIT_HOME": str(tmp_path), "PATH": ""},
    )
    assert result.returncode == 0, result.stderr
    for slug in ("python-sql", "r", "julia", "ml", "everything"):
        assert f"  {slug}" in result.stdout


@pytest.mark.slow
def test_kernelspecs_point_at_the_installed_prefixes(catalog, layout, available_profiles):
    for slug in available_profiles:
        kernels = layout.profile_dir(slug) / "share" / "jupyter" / "kernels"
        assert sorted(p.name for p in kernels.iterdir()) == sorted(
            k.name for k, _ in catalog.kernels(slug)
        )
        python = json.loads((kernels / "python3" / "kernel.json").read_text())
        assert python["argv"][0].startswith(str(layout.root / "envs"))
        assert python["argv"][-1] == "{connection_file}"
