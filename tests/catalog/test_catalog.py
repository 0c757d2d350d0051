"""Tests for the kernel catalog: what consumers derive from it, and bad catalogs."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import pytest

from hubkit.catalog import CatalogError, load_catalog

from ..utils import edit_catalog


def test_repository_catalog_composes_profiles(catalog):
    # The base image brings Python & SQL in one prefix; variants add R or Julia prefixes.
    assert next(iter(catalog.profiles)) == "python-sql"
    assert {k: v.name for k, v in catalog.leaves("python-sql").items()} == {"python": "sql"}
    assert {k: v.name for k, v in catalog.leaves("everything").items()} == {
        "python": "ml",
        "r": "r",
        "julia": "julia",
    }
    assert [k.name for k, _ in catalog.kernels("everything")] == ["python3", "ir", "julia"]
    # Parents are built before children, whatever the file order.
    order = [p.slug for p in catalog.build_order()]
    assert order.index("python-sql") < order.index("r") < order.index("everything")
    # The SQL smoke notebook runs wherever the SQL layer is.
    assert catalog.environments["sql"].smoke[0] in catalog.smoke_notebooks("r")


@pytest.mark.parametrize(
    "change, entry, message",
    [
        (
            lambda d: d["environments"]["sql"].update(parent="pythn"),
            "environments.sql.parent",
            "unknown environment 'pythn'",
        ),
        (
            lambda d: d["profiles"][1].update(environments=["r", "fortran"]),
            "profiles[1] (r).environments",
            "unknown environment 'fortran'",
        ),
        (
            lambda d: d["profiles"][0].update(environments=["sql"]),
            "profiles[0] (python-sql).environments",
            "layered on 'python'",
        ),
        (
            lambda d: d["environments"]["python"]["kernels"][0].pop("argv"),
            "environments.python.kernels[0]",
            "'argv' is a required property",
        ),
        (
            lambda d: d["environments"]["r"]["kernels"][0].update(argv=["R", "-e", "x"]),
            "environments.r.kernels[0].argv",
            "does not contain",
        ),
        (
            lambda d: d["environments"]["python"].update(prefix="relative/path"),
            "environments.python.prefix",
            "does not match",
        ),
        (
            lambda d: d["environments"]["r"].update(parent="python"),
            "environments.r",
            "both `prefix` and `parent`",
        ),
        (
            lambda d: d["environments"]["julia"]["kernels"][0].update(name="ir"),
            "environments.julia.kernels",
            "kernel 'ir' is already declared by 'r'",
        ),
        (
            lambda d: (
                d["environments"]["python"].update(parent="ml", prefix=None)
                or d["environments"]["python"].pop("prefix")
            ),
            "environments.python",
            "cannot declare kernels",
        ),
        (
            lambda d: d["profiles"].append(dict(d["profiles"][0])),
            "profiles[5].slug",
            "duplicate profile",
        ),
        (lambda d: d["profiles"][1].update(parent="everything"), "profiles[1] (r).parent", "cycle"),
        (
            lambda d: d["environments"]["sql"].update(smoke=["notebooks/smoke/nope.ipynb"]),
            "environments.sql.smoke",
            "does not exist",
        ),
        (
            lambda d: d["environments"]["python"].pop("server"),
            "profiles[0] (python-sql)",
            "exactly one environment with `server: true`",
        ),
        (lambda d: d.update(extra=1), "(top level)", "Additional properties"),
    ],
)
def test_malformed_catalog_names_file_entry_and_problem(repo_copy, change, entry, message):
    path = edit_catalog(repo_copy, change)
    with pytest.raises(CatalogError) as info:
        load_catalog(path)
    assert info.value.path == path
    assert info.value.entry == entry
    assert message in info.value.message
    assert str(path) in str(info.value)


def test_invalid_yaml_is_reported_with_the_file(tmp_path):
    path = tmp_path / "catalog.yaml"
    path.write_text("environments: [unclosed\n")
    with pytest.raises(CatalogError, match="not valid YAML") as info:
        load_catalog(path)
    assert info.value.path == path


def test_missing_catalog_is_reported(tmp_path):
    with pytest.raises(CatalogError, match="cannot read"):
        load_catalog(tmp_path / "nope.yaml")


def test_missing_spec_is_reported(repo_copy):
    path = repo_copy / "catalog.yaml"
    (repo_copy / "envs" / "julia" / "environment.yml").unlink()
    with pytest.raises(
        CatalogError, match=r"environments\.julia: spec .*environment\.yml does not exist"
    ):
        load_catalog(path)
