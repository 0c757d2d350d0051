"""Fixtures for hubkit's tests.

- catalog: the repository's kernel catalog.
- layout: local mode's folder (venvs, profiles, the proxy).
- available_profiles: the catalog profiles installed locally; local mode's default profiles
  are installed first when they are not (as `hubkit local install`), so any test that needs a
  server runs alone on a fresh checkout.
- hub: a real JupyterHub with configurable-http-proxy and the local spawner (tests/hubserver.py).
- make_hub: a factory for hubs with extra environment (HUBKIT_* settings), stopped at the end.
- postgres: a real PostgreSQL cluster for the session (tests/databases.py PostgresCluster).
- browser: headless Chromium (tests/browser.py).
- repo_copy: a writable copy of catalog.yaml, envs/, notebooks/ and the sources of packages/
  (edit with tests/utils.py).
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

import pytest

from hubkit.catalog import Catalog, load_catalog
from hubkit.catalog.model import NOT_SOURCES
from hubkit.local import (
    LocalLayout,
    default_local_profiles,
    install_profile,
    install_proxy,
    profile_status,
)

from . import ROOT
from . import browser as chromium
from .databases import PostgresCluster
from .hubserver import HubServer


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="session")
def layout(catalog: Catalog) -> LocalLayout:
    return LocalLayout.default(catalog)


@pytest.fixture(scope="session")
def available_profiles(catalog: Catalog, layout: LocalLayout) -> list[str]:
    install_proxy(catalog, layout)
    for slug in default_local_profiles(catalog):
        install_profile(catalog, layout, slug)
    slugs = [
        slug
        for slug in catalog.profiles
        if all(s.available for s in profile_status(catalog, layout, slug).values())
    ]
    assert slugs, "no profile could be installed locally: see `hubkit local status`"
    return slugs


@pytest.fixture
def hub(tmp_path, catalog, layout, available_profiles):
    with HubServer(tmp_path, catalog, layout) as server:
        yield server


@pytest.fixture
def make_hub(tmp_path, catalog, layout, available_profiles):
    """make_hub(name, external_proxy=False, **env) -> a started HubServer in tmp_path/name."""
    with contextlib.ExitStack() as stack:

        def make(name: str = "hub", external_proxy: bool = False, **env: str) -> HubServer:
            folder = tmp_path / name
            folder.mkdir()
            return stack.enter_context(
                HubServer(folder, catalog, layout, external_proxy=external_proxy, **env)
            )

        yield make


@pytest.fixture(scope="session")
def postgres():
    if not PostgresCluster.BIN.is_dir():
        pytest.skip(f"PostgreSQL is not installed at {PostgresCluster.BIN}")
    with PostgresCluster() as cluster:
        yield cluster


@pytest.fixture
def browser():
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        browser = chromium.launch(p)
        yield browser
        browser.close()


@pytest.fixture
def repo_copy(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    shutil.copy(ROOT / "catalog.yaml", root / "catalog.yaml")
    for folder in ("envs", "notebooks"):
        shutil.copytree(ROOT / folder, root / folder)
    shutil.copytree(
        ROOT / "packages", root / "packages", ignore=shutil.ignore_patterns(*NOT_SOURCES)
    )
    return root
