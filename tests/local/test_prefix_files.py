"""Tests for the environment files (etc/, share/) local mode copies into a venv's prefix and
the post-install scripts they bring."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path

import pytest

from hubkit.catalog import load_catalog
from hubkit.local.environments import sync_prefix_files
from hubkit.prefix import POST_INSTALL_DIR
from tests import ROOT

INSPECTOR = Path("share/jupyter/labextensions/variable-inspector/static")
# The line of variable-inspector 1.4.4's kernel script (a JavaScript string) that imports every
# library it knows; envs/python/etc/hubkit/post-install.d/10_variable_inspector_imports.py
# rewrites it.
IMPORTING = "def attempt_import(module):\\n    try:\\n        return __import__(module)\\n"


def make_venv(path: Path) -> Path:
    """A bare venv that imports the project's lab package from the checkout, as an installed
    prefix would (the post-install scripts use its install-time part)."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    site = path / "lib" / version / "site-packages"
    (site / "hubkit_lab.pth").write_text(f"{ROOT / 'packages' / 'hubkit-lab'}\n")
    return path


def test_config_edits_reach_an_installed_venv_and_removed_files_go(repo_copy, tmp_path):
    # Given a catalog copy and a venv holding python + sql, with a labextension to drop
    catalog = load_catalog(repo_copy / "catalog.yaml")
    venv = make_venv(tmp_path / "venv")
    dropped = venv / "share" / "jupyter" / "labextensions" / "jupysql-plugin"
    dropped.mkdir(parents=True)
    sync_prefix_files(catalog, venv, catalog.environments["sql"])
    # Then both layers' files are in the prefix and the plugin is gone
    assert (venv / "etc/jupyter/jupyter_server_config.json").is_file()
    assert (venv / "etc/jupyter/jupyter_server_config.d/jupysql_plugin.json").is_file()
    assert not dropped.exists()
    # When a setting changes and a file is removed from envs/
    overrides = repo_copy / "envs/python/share/jupyter/lab/settings/overrides.json"
    overrides.write_text('{"changed": true}\n')
    (repo_copy / "envs/python/etc/jupyter/labconfig/page_config.json").unlink()
    sync_prefix_files(catalog, venv, catalog.environments["sql"])
    # Then the venv follows without a reinstall
    assert (venv / "share/jupyter/lab/settings/overrides.json").read_text() == '{"changed": true}\n'
    assert not (venv / "etc/jupyter/labconfig/page_config.json").exists()
    assert (venv / "etc/jupyter/jupyter_server_config.json").is_file()


def test_variable_inspector_kernel_script_stops_importing_libraries(repo_copy, tmp_path):
    # Given a venv whose variable inspector bundle imports every library it knows
    catalog = load_catalog(repo_copy / "catalog.yaml")
    venv = make_venv(tmp_path / "venv")
    (venv / INSPECTOR).mkdir(parents=True)
    bundle = venv / INSPECTOR / "713.js"
    bundle.write_text(f"const code='{IMPORTING}';\n" + "// padding\n" * 200)
    # When local mode installs the python environment's files (twice: it is idempotent)
    for _ in range(2):
        sync_prefix_files(catalog, venv, catalog.environments["python"])
    # Then the kernel script only looks at modules the user already imported
    assert "return sys.modules.get(module)" in bundle.read_text()
    assert "__import__(module)" not in bundle.read_text()
    assert (venv / POST_INSTALL_DIR / "10_variable_inspector_imports.py").is_file()
    # And the compressed copy the server sends is the patched bundle
    assert gzip.decompress((venv / INSPECTOR / "713.js.gz").read_bytes()) == bundle.read_bytes()


def test_an_unknown_variable_inspector_version_stops_the_install(repo_copy, tmp_path, capfd):
    # Given a bundle that no longer holds the patched line (a new upstream version)
    catalog = load_catalog(repo_copy / "catalog.yaml")
    venv = make_venv(tmp_path / "venv")
    (venv / INSPECTOR).mkdir(parents=True)
    (venv / INSPECTOR / "713.js").write_text("const code='import numpy';\n")
    # Then the install fails, naming the extension's folder and the line it looked for
    with pytest.raises(subprocess.CalledProcessError):
        sync_prefix_files(catalog, venv, catalog.environments["python"])
    err = capfd.readouterr().err
    assert str(venv / INSPECTOR) in err and "return __import__(module)" in err
