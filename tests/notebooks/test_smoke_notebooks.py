"""Tests for the smoke notebooks: nbval runs each against every locally available kernel
of its language, as the image workflow does inside every built image."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hubkit.catalog import load_catalog
from hubkit.cli import ROOT
from hubkit.local import LocalLayout, profile_status

pytestmark = pytest.mark.slow


def smoke_cases() -> list:
    """(notebook, kernel, profile) once per distinct kernel command, for available profiles."""
    catalog = load_catalog()
    layout = LocalLayout.default(catalog)
    cases, seen = [], set()
    for slug in catalog.profiles:
        if not all(s.available for s in profile_status(catalog, layout, slug).values()):
            continue
        kernel_dir = layout.profile_dir(slug) / "share" / "jupyter" / "kernels"
        for notebook in catalog.smoke_notebooks(slug):
            language = json.loads(notebook.read_text())["metadata"]["kernelspec"]["language"]
            for kernel, _ in catalog.kernels(slug):
                argv = (kernel_dir / kernel.name / "kernel.json").read_text()
                if kernel.language != language or (notebook, argv) in seen:
                    continue
                seen.add((notebook, argv))
                cases.append(
                    pytest.param(notebook, kernel.name, slug, id=f"{notebook.stem}-{slug}")
                )
    return cases


@pytest.mark.parametrize("notebook, kernel, profile", smoke_cases())
def test_smoke_notebook(notebook: Path, kernel: str, profile: str, layout, tmp_path):
    env = {**os.environ, "JUPYTER_PATH": str(layout.profile_dir(profile) / "share" / "jupyter")}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--nbval-lax",
            f"--nbval-kernel-name={kernel}",
            "-p",
            "no:cacheprovider",
            "-q",
            "--rootdir",
            str(tmp_path),
            str(notebook),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout


def test_every_language_has_a_smoke_notebook():
    catalog = load_catalog()
    for env in catalog.environments.values():
        assert env.smoke, f"{env.name} has no smoke notebook"
    notebooks = {nb.name for env in catalog.environments.values() for nb in env.smoke}
    assert {"python.ipynb", "sql.ipynb", "r.ipynb", "julia.ipynb"} <= notebooks
    assert sorted(p.name for p in (ROOT / "notebooks" / "smoke").glob("*.ipynb")) == sorted(
        notebooks
    )
