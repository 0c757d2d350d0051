"""Fixtures for hubkit's tests.

- catalog: the repository's kernel catalog.
- layout: local mode's folder (venvs, profiles, the proxy).
- available_profiles: the catalog profiles installed locally; local mode's default profiles
  are installed first when they are not (as `hubkit local install`), so any test that needs a
  server runs alone on a fresh checkout.
- hub: a real JupyterHub with configurable-http-proxy and the local spawner (tests/hubserver.py).
- module_hub: the same, shared by a module's tests, each of which leaves it as it found it.
- make_hub: a factory for hubs with extra environment (HUBKIT_* settings), stopped at the end.
- postgres: a real PostgreSQL cluster for the session (tests/databases.py PostgresCluster).
- browser: headless Chromium (tests/browser.py).
- repo_copy: a writable copy of catalog.yaml, envs/, notebooks/ and the sources of packages/
  (edit with tests/utils.py).

`./stack test` runs the suite on several pytest-xdist workers: the tests of one module run on one
worker, so a module's hub starts once; the Docker tests (one engine, images built once) and
those of the `team` hub form one group each (`worker_group`). The run's figures
(tests/tally.py) are counted by the workers and printed by the controller.
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import contextlib
import fcntl
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

from . import ROOT, tally
from . import browser as chromium
from .databases import PostgresCluster
from .hubserver import HubServer

# Modules that share the package-scoped `team` hub of tests/hub/conftest.py
TEAM_MODULES = {
    "tests/hub/test_sharing.py",
    "tests/hub/test_collaboration.py",
    "tests/hub/test_browser_sharing.py",
    "tests/hub/test_history.py",
}


def worker_group(nodeid: str) -> str:
    """The tests one xdist worker runs together: its module, all the `docker` tests (one
    engine, images built once) or all of TEAM_MODULES (one hub)."""
    module = nodeid.split("::")[0]
    if module.startswith("tests/docker/"):
        return "docker"
    return "team" if module in TEAM_MODULES else module


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """xdist's loadscope scheduling by `worker_group`. (Its `xdist_group` marker does not
    work with pytest 9: xdist 3.8.0 renames the item's `_nodeid`, which pytest 9 no longer
    reads.)"""
    from xdist.scheduler import LoadScopeScheduling

    class GroupScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return worker_group(nodeid)

    return GroupScheduling(config, log)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The docker group first: the longest, it starts while the rest is shared out
    (`--no-loadscope-reorder` keeps this order)."""
    items.sort(key=lambda item: worker_group(item.nodeid) != "docker")


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Counted where reports arrive: in the controller under xdist."""
    if "docker" in report.keywords:
        tally.DOCKER.seconds += report.duration
        tally.DOCKER.tests += report.when == "call"


def pytest_sessionfinish(session: pytest.Session) -> None:
    if hasattr(session.config, "workeroutput"):  # an xdist worker: hand the count over
        session.config.workeroutput["hostile"] = (tally.HOSTILE.ran, tally.HOSTILE.passed)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:
    tally.HOSTILE.add(getattr(node, "workeroutput", {}).get("hostile", (0, 0)))


def pytest_terminal_summary(terminalreporter) -> None:
    hostile, docker = tally.HOSTILE, tally.DOCKER
    if hostile.ran:
        terminalreporter.write_sep(
            "-", f"hostile input: {hostile.ran} cases ran, {hostile.passed} passed"
        )
    if docker.tests:  # the Docker part's share of CI's time budget
        terminalreporter.write_line(
            f"docker tests: {docker.seconds:.0f} s ({docker.tests} tests, builds included)"
        )


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="session")
def layout(catalog: Catalog) -> LocalLayout:
    return LocalLayout.default(catalog)


@pytest.fixture(scope="session")
def available_profiles(catalog: Catalog, layout: LocalLayout) -> list[str]:
    layout.root.mkdir(parents=True, exist_ok=True)
    with (layout.root / ".install.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # xdist workers: one installs, the others then see it
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


@pytest.fixture(scope="module")
def module_hub(tmp_path_factory, catalog, layout, available_profiles):
    with HubServer(tmp_path_factory.mktemp("hub"), catalog, layout) as server:
        yield server


@pytest.fixture
def make_hub(tmp_path, catalog, layout, available_profiles):
    """make_hub(name, external_proxy=False, options=(), **env) -> a started HubServer in
    tmp_path/name."""
    with contextlib.ExitStack() as stack:

        def make(
            name: str = "hub", external_proxy: bool = False, options: tuple = (), **env: str
        ) -> HubServer:
            folder = tmp_path / name
            folder.mkdir()
            return stack.enter_context(
                HubServer(folder, catalog, layout, external_proxy, options, **env)
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
