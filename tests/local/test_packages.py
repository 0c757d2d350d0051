"""Tests for how local mode installs the project's own packages (packages/) into a venv."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
import yaml

from hubkit.catalog import load_catalog
from hubkit.catalog.model import NOT_SOURCES
from hubkit.local import LocalLayout, pypi_status
from hubkit.local.environments import install_venv
from tests import ROOT

pytestmark = pytest.mark.slow

CATALOG = {
    "environments": {
        "mini": {
            "description": "A Python prefix carrying one of the project's packages.",
            "prefix": "/opt/envs/mini",
            "server": True,
            "kernels": [
                {
                    "name": "python3",
                    "display_name": "Python 3",
                    "language": "python",
                    "argv": ["{prefix}/bin/python", "-m", "ipykernel", "-f", "{connection_file}"],
                }
            ],
            "packages": ["hubkit-kernel"],
            "local": {"from": "pypi"},
        }
    },
    "profiles": [
        {"slug": "mini", "display_name": "Mini", "description": "A test.", "environments": ["mini"]}
    ],
}


def installed_module(venv: Path) -> Path:
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    return venv / "lib" / version / "site-packages" / "hubkit_kernel" / "__init__.py"


def test_a_changed_package_source_reinstalls_the_venv_and_a_build_output_does_not(tmp_path):
    # Given a catalog whose only environment carries the kernel library, installed locally
    (tmp_path / "envs" / "mini").mkdir(parents=True)
    (tmp_path / "envs" / "mini" / "environment.yml").write_text(
        "dependencies:\n  - python =3.11\n  - pip\n"
    )
    package = tmp_path / "packages" / "hubkit-kernel"
    shutil.copytree(
        ROOT / "packages" / "hubkit-kernel", package, ignore=shutil.ignore_patterns(*NOT_SOURCES)
    )
    (tmp_path / "catalog.yaml").write_text(yaml.safe_dump(CATALOG, sort_keys=False))
    catalog = load_catalog(tmp_path / "catalog.yaml")
    layout, env = LocalLayout(tmp_path / ".hubkit"), catalog.environments["mini"]
    venv = install_venv(catalog, layout, env)
    assert pypi_status(catalog, layout, env).available
    source = package / "hubkit_kernel" / "__init__.py"
    assert installed_module(venv).read_text() == source.read_text()
    # When a build output or a cache appears beside the sources
    (package / "build").mkdir()
    (package / "build" / "lib.txt").write_text("built\n")
    # Then the venv is still current
    assert pypi_status(catalog, layout, env).available
    # When a source file changes
    source.write_text(source.read_text() + "\n# changed\n")
    # Then local mode says the venv must be installed again, and why
    status = pypi_status(catalog, layout, env)
    assert not status.available and "package sources changed" in status.reason
    # And installing again puts the changed source into the venv
    install_venv(catalog, layout, env)
    assert installed_module(venv).read_text().endswith("# changed\n")
    assert pypi_status(catalog, layout, env).available
