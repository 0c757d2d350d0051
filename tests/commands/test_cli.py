"""Tests for the `hubkit` command: clear one-line errors, no tracebacks, exit code 1."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from hubkit.catalog import load_catalog
from hubkit.images.plan import missing_locks
from tests import ROOT


def hubkit(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "hubkit", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=120,
    )


def test_catalog_check_passes_on_the_repository():
    result = hubkit("catalog-check")
    assert result.returncode == 0, result.stderr
    assert "catalog.yaml: OK" in result.stdout
    assert "profile everything   kernels: python3, ir, julia" in result.stdout
    # And it names every lock the images need that is not committed yet (the lock workflow
    # makes them), and what makes them
    catalog = load_catalog(ROOT / "catalog.yaml")
    missing = {p for slug in catalog.profiles for p in missing_locks(catalog, slug)}
    for path in missing:
        assert str(path.relative_to(ROOT)) in result.stdout
    assert ("not locked yet: " in result.stdout) == bool(missing)
    assert ("`pixi run lock`" in result.stdout) == bool(missing)


def test_broken_catalog_is_one_clear_line(tmp_path):
    bad = tmp_path / "catalog.yaml"
    bad.write_text("environments: {}\nprofiles: []\n")
    result = hubkit("catalog-check", "--catalog", str(bad))
    assert result.returncode == 1
    assert result.stderr.startswith(f"hubkit: error: {bad}: environments:")
    assert "Traceback" not in result.stderr


def test_lock_without_conda_lock_says_how_to_get_it(tmp_path):
    result = hubkit("lock", PATH=str(tmp_path))
    assert result.returncode == 1
    assert "conda-lock is not installed: run `pixi run lock`" in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_profile_lists_the_catalog(tmp_path):
    result = hubkit("local", "install", "--profile", "fortran", HUBKIT_HOME=str(tmp_path))
    assert result.returncode == 1
    assert "unknown profile 'fortran'; the catalog has: python-sql, r, julia" in result.stderr


def test_outside_a_checkout_it_says_where_the_catalog_is_looked_for(tmp_path):
    # Given a folder with no catalog.yaml in it or above it, and no HUBKIT_CATALOG
    env = {k: v for k, v in os.environ.items() if k != "HUBKIT_CATALOG"}
    # When a command needing the catalog runs there
    result = subprocess.run(
        [sys.executable, "-m", "hubkit", "catalog-check"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
    )
    # Then it names where it looked and how to point it at one, without a traceback
    assert result.returncode == 1
    assert f"{tmp_path}/catalog.yaml: no catalog.yaml here or in a folder above" in result.stderr
    assert "HUBKIT_CATALOG" in result.stderr and "Traceback" not in result.stderr


def test_a_malformed_spec_is_one_clear_line(tmp_path):
    # Given a catalog whose python spec lists a package twice
    root = tmp_path / "repo"
    shutil.copytree(ROOT / "envs", root / "envs")
    shutil.copytree(ROOT / "notebooks", root / "notebooks")
    shutil.copy(ROOT / "catalog.yaml", root / "catalog.yaml")
    spec = root / "envs" / "sql" / "environment.yml"
    spec.write_text(spec.read_text() + "  - sqlglot\n")
    # When the catalog is checked
    result = hubkit("catalog-check", "--catalog", str(root / "catalog.yaml"))
    # Then the error names the spec, not the catalog, and no traceback is shown
    assert result.returncode == 1
    assert result.stderr.startswith(f"hubkit: error: {spec}: dependencies: listed more than once")
    assert "Traceback" not in result.stderr


def test_an_extra_ca_certificate_that_is_missing_or_not_pem_is_named(tmp_path):
    # Given a CA file in DER (binary) form, one with text that is no certificate, and none
    der = tmp_path / "proxy-ca.der"
    der.write_bytes(b"\x30\x82\x03\xff\x80\x81")
    text = tmp_path / "proxy-ca.txt"
    text.write_text("ask IT for the certificate\n")
    for path, why in (
        (der, "cannot read it"),
        (text, "not a PEM certificate"),
        (tmp_path / "nothing.pem", "cannot read it"),
    ):
        # When the admin builds with it
        result = hubkit("images", "build", f"--extra-ca-cert={path}", "--profile=python-sql")
        # Then nothing is built and one line names the file and what is wrong
        assert result.returncode == 1
        assert f"extra CA certificate {path}: {why}" in result.stderr, result.stderr
        assert "Traceback" not in result.stderr
