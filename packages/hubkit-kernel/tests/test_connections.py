"""Tests for named connections: names, the personal file, shared connections, masking."""

# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import json
import stat

import pytest

from hubkit_kernel.sql import (
    ConnectionNameError,
    add_connection,
    edit_connection,
    get_connection,
    list_connections,
    remove_connection,
)
from hubkit_kernel.sql.errors import QUOTE_CHARS, brief, scrub

SECRET_URL = "postgresql+psycopg://alice:S3cr3t-pw@db.example.org:5433/sales"


@pytest.mark.parametrize(
    "name",
    ["", "1abc", "a b", "a;b", "x'--", "pg; DROP TABLE t", "a" * 64, "ä", "a\n", "-x", None, 3],
)
def test_invalid_names_are_refused_and_named(name):
    with pytest.raises(ConnectionNameError) as e:
        add_connection(name, "sqlite://")
    # Named as repr() shows it, cut to QUOTE_CHARS characters (issue 17: 100 KB came back)
    assert brief(name) in str(e.value)
    assert len(brief(name)) <= QUOTE_CHARS + 1
    with pytest.raises(ConnectionNameError):
        get_connection(name)


def test_add_edit_remove_personal_connection(connections_file):
    # Given / When
    add_connection("sales", SECRET_URL, description="Sales replica")
    # Then: the file exists, mode 600, in a folder only the user reads
    assert stat.S_IMODE(connections_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(connections_file.parent.stat().st_mode) == 0o700
    saved = json.loads(connections_file.read_text())
    assert saved["sales"]["url"] == SECRET_URL
    # When edited and renamed, the rest is kept
    edit_connection("sales", description="Replica", new_name="sales2")
    assert get_connection("sales2").url == SECRET_URL
    assert get_connection("sales2").description == "Replica"
    with pytest.raises(ConnectionNameError, match="'sales'"):
        get_connection("sales")
    edit_connection("sales2", url="sqlite:///x.db", options={"timeout": 3})
    assert get_connection("sales2").options == {"timeout": 3}
    assert stat.S_IMODE(connections_file.stat().st_mode) == 0o600
    # When removed
    remove_connection("sales2")
    assert "sales2" not in {c.name for c in list_connections()}
    with pytest.raises(ConnectionNameError):
        remove_connection("sales2")


def test_permissions_are_never_widened(connections_file):
    add_connection("a", "sqlite://")
    connections_file.chmod(0o400)
    add_connection("b", "sqlite://")
    assert stat.S_IMODE(connections_file.stat().st_mode) == 0o400


def test_duplicate_and_reserved_names(monkeypatch):
    add_connection("a", "sqlite://")
    with pytest.raises(ConnectionNameError, match="already exists"):
        add_connection("a", "sqlite://")
    with pytest.raises(ConnectionNameError, match="'duckdb'"):
        add_connection("duckdb", "sqlite://")
    monkeypatch.setenv("HUBKIT_SHARED_CONNECTIONS", json.dumps({"warehouse": {"url": "sqlite://"}}))
    with pytest.raises(ConnectionNameError, match="'warehouse'"):
        add_connection("warehouse", "sqlite://")


def test_invalid_url_is_refused_without_echoing_it():
    with pytest.raises(ValueError) as e:
        add_connection("bad", "not a url with S3cr3t")
    assert "S3cr3t" not in str(e.value)


def test_shared_connections_from_the_environment(monkeypatch):
    shared = {
        "warehouse": {"url": SECRET_URL, "description": "Team warehouse"},
        "bad name!": {"url": "sqlite://"},
    }
    monkeypatch.setenv("HUBKIT_SHARED_CONNECTIONS", json.dumps(shared))
    add_connection("mine", "sqlite:///tmp/mine.db")
    listed = {c.name: c for c in list_connections()}
    assert list(listed) == ["duckdb", "warehouse", "mine"]
    assert listed["warehouse"].kind == "shared"
    assert listed["warehouse"].description == "Team warehouse"
    assert listed["duckdb"].kind == "builtin"
    assert listed["mine"].kind == "personal"
    with pytest.raises(ConnectionNameError):
        remove_connection("warehouse")  # read-only


def test_shared_connections_from_the_file_the_server_was_given(monkeypatch, tmp_path):
    # Given the file the Docker spawner copies into the container (mode 400), which wins over
    # the variable
    path = tmp_path / "shared-connections.json"
    path.write_text(json.dumps({"warehouse": {"url": SECRET_URL, "description": "Team"}}))
    path.chmod(0o400)
    monkeypatch.setenv("HUBKIT_SHARED_CONNECTIONS_FILE", str(path))
    monkeypatch.setenv("HUBKIT_SHARED_CONNECTIONS", json.dumps({"other": {"url": "sqlite://"}}))
    # Then the kernel lists it with the password the file holds
    assert [c.name for c in list_connections() if c.kind == "shared"] == ["warehouse"]
    assert get_connection("warehouse").sqlalchemy_url().password == "S3cr3t-pw"
    # And a file that is gone gives no shared connection rather than a broken kernel
    path.unlink()
    assert [c.name for c in list_connections()] == ["duckdb"]


def test_malformed_shared_variable_gives_no_shared_connections(monkeypatch):
    monkeypatch.setenv("HUBKIT_SHARED_CONNECTIONS", "{not json")
    assert [c.name for c in list_connections()] == ["duckdb"]


def test_listing_and_reprs_hide_credentials():
    add_connection("sales", SECRET_URL)
    summary = next(c for c in list_connections() if c.name == "sales")
    assert (summary.dialect, summary.driver) == ("postgresql", "psycopg")
    assert (summary.host, summary.port, summary.database) == ("db.example.org", 5433, "sales")
    for text in (repr(summary), json.dumps(summary.to_dict()), repr(get_connection("sales"))):
        assert "alice" not in text
        assert "S3cr3t" not in text


def test_scrub_removes_urls_passwords_and_quoted_users():
    message = f'failed for user "alice" at {SECRET_URL} (password S3cr3t-pw)'
    cleaned = scrub(message, ["S3cr3t-pw"], ["alice"])
    assert "alice" not in cleaned
    assert "S3cr3t" not in cleaned
