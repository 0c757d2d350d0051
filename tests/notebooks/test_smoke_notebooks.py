"""Tests for the smoke notebooks: nbval runs each against every locally available kernel
of its language, as the image workflow does inside every built image."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hubkit.catalog import load_catalog
from hubkit.local import profile_status
from tests import ROOT
from tests.utils import run_nbval

pytestmark = pytest.mark.slow


def smoke_cases() -> list:
    """(notebook, kernel, profile): each smoke notebook with each kernel of its language, in
    the first profile that has the kernel. From the catalog alone: nothing is probed while
    tests are collected, and the list is never empty while the catalog names notebooks."""
    catalog = load_catalog(ROOT / "catalog.yaml")
    cases, seen = [], set()
    for slug in catalog.profiles:
        for notebook in catalog.smoke_notebooks(slug):
            language = json.loads(notebook.read_text())["metadata"]["kernelspec"]["language"]
            for kernel, _ in catalog.kernels(slug):
                if kernel.language != language or (notebook, kernel.name) in seen:
                    continue
                seen.add((notebook, kernel.name))
                cases.append(
                    pytest.param(notebook, kernel.name, slug, id=f"{notebook.stem}-{slug}")
                )
    return cases


@pytest.mark.parametrize("notebook, kernel, profile", smoke_cases())
def test_smoke_notebook(
    notebook: Path, kernel: str, profile: str, catalog, layout, available_profiles, tmp_path
):
    if profile not in available_profiles:
        reasons = [s.reason for s in profile_status(catalog, layout, profile).values() if s.reason]
        pytest.skip(f"profile {profile} cannot run locally: {'; '.join(reasons)}")
    result = run_nbval(
        notebook, kernel, layout.profile_dir(profile) / "share" / "jupyter", tmp_path
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
