"""Tests for environment specs: parsing, PyPI translation for local mode, stale locks."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import pytest
from packaging.requirements import Requirement

from hubkit.catalog import load_catalog
from hubkit.envs.lock import DIGEST_NAME, check_locks, inputs_digest
from hubkit.envs.pypi import pip_requirements, pip_specifier
from hubkit.envs.spec import SpecError, load_spec


def test_every_spec_in_the_repository_parses(catalog):
    for env in catalog.environments.values():
        spec = load_spec(env.spec_file)
        assert spec.requirements, env.name
        assert set(spec.platforms) == {"linux-64", "linux-aarch64"}, env.name


def test_local_mode_installs_the_spec_list_with_its_pins(catalog):
    # Given the python+sql chain, When translated for pip
    reqs = [
        Requirement(r)
        for r in pip_requirements([load_spec(e.spec_file) for e in catalog.chain("sql")])
    ]
    by_name = {r.name.lower(): str(r.specifier) for r in reqs}
    # Then shipped components keep their exact pins and renamed packages get PyPI names
    assert by_name["jupyterlab"] == "==4.6.6"
    assert by_name["jupyterhub"] == "==6.1.1"  # conda's jupyterhub-singleuser
    assert "duckdb" in by_name and "python-duckdb" not in by_name
    assert "python" not in by_name and "nb_conda_kernels" not in by_name
    # And the SQL layer's packages join the Python prefix's
    assert {"sqlalchemy", "jupysql", "pandas", "variable-inspector"} <= set(by_name)


@pytest.mark.parametrize(
    "conda, pip",
    [
        ("==4.6.6", "==4.6.6"),
        (">=2.5", ">=2.5"),
        ("4.4.*", "==4.4.*"),
        (">=1,<2", ">=1,<2"),
        (None, ""),
    ],
)
def test_conda_version_specs_become_pip_specifiers(conda, pip):
    assert pip_specifier(conda) == pip


@pytest.mark.parametrize(
    "line, message",
    [
        ("  - pandas >==2", "is not a valid conda match spec"),
        ("  - [pandas]", "expected a package spec string"),
        ("  - {conda: x}", "only a `pip:` list"),
        ("  - pip:\n      - 'pandas>>2'", "is not a valid pip requirement"),
        ("  - numpy", "listed more than once: numpy"),
    ],
)
def test_malformed_spec_names_file_and_entry(tmp_path, line, message):
    spec = tmp_path / "environment.yml"
    spec.write_text(f"name: t\ndependencies:\n  - numpy\n{line}\n")
    with pytest.raises(SpecError, match=message) as info:
        load_spec(spec)
    assert info.value.path == spec
    assert str(spec) in str(info.value)


def test_unknown_key_and_empty_dependencies(tmp_path):
    spec = tmp_path / "environment.yml"
    spec.write_text("name: t\ndependencies: []\n")
    with pytest.raises(SpecError, match="dependencies: must be a non-empty list"):
        load_spec(spec)
    spec.write_text("name: t\nchanels: [conda-forge]\ndependencies: [numpy]\n")
    with pytest.raises(SpecError, match="chanels: unknown key"):
        load_spec(spec)


def test_stale_lock_is_detected(repo_copy):
    # Given a catalog whose sql lock was made from the current specs
    catalog = load_catalog(repo_copy / "catalog.yaml")
    sql = catalog.environments["sql"]
    sql.lock_file.write_text("# a lock made by conda-lock\n")
    (sql.spec_dir / DIGEST_NAME).write_text(inputs_digest(catalog, "sql") + "\n")
    assert check_locks(catalog) == []
    # When the parent spec changes without relocking
    spec = catalog.environments["python"].spec_file
    spec.write_text(spec.read_text() + "  - rich\n")
    # Then the check names the stale lock, its inputs and the fix
    [problem] = check_locks(catalog)
    assert "envs/sql/conda-lock.yml is stale" in problem
    assert "envs/python/environment.yml" in problem
    assert "pixi run lock" in problem
