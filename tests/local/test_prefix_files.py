"""Tests for the environment files (etc/, share/) local mode copies into a venv's prefix and
the post-install scripts they bring."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import gzip
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hubkit.catalog import load_catalog
from hubkit.local.environments import sync_prefix_files
from hubkit.prefix import POST_INSTALL_DIR

INSPECTOR = Path("share/jupyter/labextensions/variable-inspector/static")
# The line of variable-inspector 1.4.4's kernel script (a JavaScript string) that imports every
# library it knows; envs/python/etc/hubkit/post-install.d/10_variable_inspector_imports.py
# rewrites it.
IMPORTING = "def attempt_import(module):\\n    try:\\n        return __import__(module)\\n"


def make_venv(path: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
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


def test_lab_assets_are_gzipped_beside_them_and_kept_current(repo_copy, tmp_path):
    # Given a venv with JupyterLab's bundles and an extension's: large and small scripts, a font
    # and a .gz the extension ships itself
    catalog = load_catalog(repo_copy / "catalog.yaml")
    venv = make_venv(tmp_path / "venv")
    lab = venv / "share/jupyter/lab/static"
    ext = venv / "share/jupyter/labextensions/@scope/ext/static"
    for folder in (lab, ext):
        folder.mkdir(parents=True)
    main, chunk, small = lab / "main.1a2b.js", ext / "42.3c4d.js", ext / "remoteEntry.js"
    main.write_text("function jupyterlab() { return 1; }\n" * 400)
    chunk.write_text("const chunk = 'an extension';\n" * 100)
    small.write_text("var r = 1;\n")  # shorter than tornado would compress
    (ext / "font.woff2").write_bytes(os.urandom(4096))
    shipped = ext / "data.json.gz"
    shipped.write_bytes(gzip.compress(b"{}"))
    # When local mode installs the python environment's files
    sync_prefix_files(catalog, venv, catalog.environments["python"])
    # Then each large script has a gzip copy beside it holding exactly its bytes, with its time
    for script in (main, chunk):
        packed = script.with_name(script.name + ".gz")
        assert gzip.decompress(packed.read_bytes()) == script.read_bytes()
        assert packed.stat().st_size < script.stat().st_size / 4
        assert packed.stat().st_mtime_ns == script.stat().st_mtime_ns
    # And nothing is written for the small script or the (already compressed) font
    assert not small.with_name(small.name + ".gz").exists()
    assert not (ext / "font.woff2.gz").exists()
    # When an upgrade replaces one script by a version older than its .gz, and removes another
    chunk.write_text("const chunk = 'another version';\n" * 100)
    earlier = (ext / "42.3c4d.js.gz").stat().st_mtime - 3600
    os.utime(chunk, (earlier, earlier))
    main.unlink()
    sync_prefix_files(catalog, venv, catalog.environments["python"])
    # Then the replaced script's copy follows it and the removed one's copy goes
    assert gzip.decompress((ext / "42.3c4d.js.gz").read_bytes()) == chunk.read_bytes()
    assert not (lab / "main.1a2b.js.gz").exists()
    # But the extension's own .gz, which has no original, is left alone
    assert gzip.decompress(shipped.read_bytes()) == b"{}"
