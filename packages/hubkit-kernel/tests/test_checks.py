"""Tests for test_connection against real servers: one stable category per failure."""

# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import pytest
from databases import free_port

from hubkit_kernel.sql import add_connection, test_connection
from hubkit_kernel.sql.errors import scrub


@pytest.fixture(scope="module")
def pg_users(postgres):
    return {
        "password": postgres.add_password_user("alice", "right-pw"),
        "tls": postgres.add_tls_only_user("tls_only"),
    }


def _check(target: str, category: str, *, secret: str | None = None):
    result = test_connection(target)
    assert result.category == category, result.message
    assert result.ok is (category == "ok")
    assert result.message
    if secret:
        assert secret not in result.message
    return result


def test_ok_by_name(dbs):
    for name in dbs:
        _check(name, "ok")


def test_wrong_password(postgres, mariadb, pg_users):
    wrong_pg = pg_users["password"].replace("right-pw", "WrongPw42")
    _check(wrong_pg, "auth_failed", secret="WrongPw42")
    _check(pg_users["password"], "ok")
    wrong_my = mariadb.url("shop").replace(mariadb.password, "WrongPw42")
    _check(wrong_my, "auth_failed", secret="WrongPw42")
    # pymysql too
    _check(
        mariadb.url("shop", driver="pymysql").replace(mariadb.password, "WrongPw42"), "auth_failed"
    )


def test_unknown_database(postgres, mariadb, tmp_path):
    _check(postgres.url("no_such_db"), "unknown_database")
    _check(mariadb.url("no_such_db"), "unknown_database", secret=mariadb.password)
    _check(f"sqlite:///{tmp_path}/missing/dir/x.db", "unknown_database")


def test_unreachable():
    port = free_port()  # nothing listens there
    _check(f"postgresql+psycopg://u:pw12345@127.0.0.1:{port}/db", "unreachable", secret="pw12345")
    _check(f"mysql+mysqldb://u:pw12345@127.0.0.1:{port}/db", "unreachable", secret="pw12345")
    _check("postgresql+psycopg://u@no-such-host.invalid/db", "unreachable")


def test_tls_required(pg_users):
    _check(pg_users["tls"] + "?sslmode=disable", "tls_required")
    _check(pg_users["tls"] + "?sslmode=require", "ok")


def test_missing_driver_names_the_package():
    result = _check("mssql+pymssql://u:pw@host/db", "missing_driver")
    assert "pip install pymssql" in result.message
    result = _check("snowflake://u:pw@account/db", "missing_driver")
    assert "snowflake-sqlalchemy" in result.message


def test_other_gives_the_first_line(postgres):
    add_connection("weird", postgres.url("postgres") + "?options=-c%20no_such_setting%3D1")
    result = _check("weird", "other")
    assert "\n" not in result.message
    assert "no_such_setting" in result.message


def test_scrub_keeps_messages_free_of_urls():
    assert "pw" not in scrub("failed: postgresql://u:pw@h/d", [])


def test_tls_required_on_mariadb(mariadb):
    # MariaDB answers "Access denied" to a connection without TLS when TLS is required: only a
    # second try over TLS tells it from a wrong password. mysqlclient uses TLS only when asked.
    mariadb.require_tls()
    try:
        _check(mariadb.url("shop"), "tls_required", secret=mariadb.password)
        _check(mariadb.url("shop") + "?ssl_mode=REQUIRED", "ok")
        wrong = mariadb.url("shop").replace(mariadb.password, "WrongPw42")
        _check(wrong, "auth_failed", secret="WrongPw42")
    finally:
        mariadb.require_tls(False)
