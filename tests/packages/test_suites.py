"""Tests for the project's own packages (packages/*): each one's suite, run with the Python of
the local venv that carries it (jupyter_server, IPython and the data stack live there, not in
the hub's environment), so `./stack test` runs them with everything else."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests import ROOT

pytestmark = pytest.mark.slow
PACKAGES = sorted(p.parent.name for p in (ROOT / "packages").glob("*/pyproject.toml"))


@pytest.mark.parametrize("package", PACKAGES)
def test_package_suite(package: str, catalog, layout, available_profiles, tmp_path):
    # Given the local venv of a profile whose environments carry the package
    folder = ROOT / "packages" / package
    venvs = [
        layout.venv(leaf.name)
        for slug in available_profiles
        for leaf in catalog.leaves(slug).values()
        if folder in catalog.packages(leaf.name)
    ]
    assert venvs, f"no locally installed environment carries {package} (catalog `packages`)"
    python = Path(venvs[0]) / "bin" / "python"
    # When its own suite runs there
    result = subprocess.run(
        [
            str(python),
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-q",
            "-rfE",
            str(folder / "tests"),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    # Then every test of it passes, and there are some
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    print(f"{package}: {summary}")
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    assert re.search(r"\d+ passed", summary), summary
