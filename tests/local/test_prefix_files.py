"""Tests for the environment files (etc/, share/) local mode copies into a venv's prefix."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

from hubkit.catalog import load_catalog
from hubkit.local.environments import sync_prefix_files


def test_config_edits_reach_an_installed_venv_and_removed_files_go(repo_copy, tmp_path):
    # Given a catalog copy and a venv holding python + sql, with a labextension to drop
    catalog = load_catalog(repo_copy / "catalog.yaml")
    venv = tmp_path / "venv"
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
