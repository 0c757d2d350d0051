"""Named connections: the user's personal ones (a JSON file in their home), the ones the admin
shares with the server (a file HUBKIT_SHARED_CONNECTIONS_FILE names, readable by the user alone,
or the JSON in HUBKIT_SHARED_CONNECTIONS) and the kernel's built-in DuckDB.

A name is what a SQL cell and the JupyterLab side refer to; the URL and its credentials stay in
the kernel. Names follow a strict pattern because they end up in generated cell source
(`%%sql_cell -c NAME`), so nothing else can be smuggled through one.
"""

# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import contextlib
import json
import os
import re
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .errors import ConnectionFileError, ConnectionNameError, brief

NAME_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,62}")  # used with fullmatch: no "$\n"
BUILTIN_DUCKDB = "duckdb"
SHARED_ENV = "HUBKIT_SHARED_CONNECTIONS"
# The hub's Docker spawner copies the JSON into the container as this file, so that the
# passwords are not in an environment variable `docker inspect` shows.
SHARED_FILE_ENV = f"{SHARED_ENV}_FILE"
FILE_ENV = "HUBKIT_CONNECTIONS_FILE"
DEFAULT_FILE = "~/.config/hubkit/connections.json"

Kind = Literal["personal", "shared", "builtin"]


def validate_name(name: object) -> str:
    """The name itself if it matches NAME_PATTERN; any other name is refused, named in the
    error (repr, so that control characters show)."""
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise ConnectionNameError(
            f"Invalid connection name {brief(name)}: use a letter, then up to 62 letters, digits,"
            " '_' or '-'"
        )
    return name


@dataclass(frozen=True)
class Connection:
    """A named connection. `options` are passed to the driver (SQLAlchemy `connect_args`).
    The URL holds credentials, so it is left out of the repr."""

    name: str
    url: str = field(repr=False)
    kind: Kind = "personal"
    description: str = ""
    options: dict[str, Any] = field(default_factory=dict, repr=False)

    def sqlalchemy_url(self) -> Any:
        from sqlalchemy.engine import make_url

        return make_url(self.url)

    @property
    def dialect(self) -> str:
        """The SQLAlchemy dialect name (`postgresql`, `mysql`, `sqlite`, `duckdb`, ...)."""
        if self.kind == "builtin":
            return "duckdb"
        return self.url.split(":", 1)[0].split("+", 1)[0].lower()

    def summary(self) -> ConnectionSummary:
        return ConnectionSummary.of(self)


@dataclass(frozen=True)
class ConnectionSummary:
    """What may be shown about a connection: never its user or password."""

    name: str
    kind: Kind
    dialect: str
    driver: str
    host: str | None
    port: int | None
    database: str | None
    description: str

    @classmethod
    def of(cls, connection: Connection) -> ConnectionSummary:
        if connection.kind == "builtin":
            return cls(
                connection.name, "builtin", "duckdb", "duckdb", None, None, ":memory:",
                connection.description,
            )  # fmt: skip
        try:
            url = connection.sqlalchemy_url()
        except Exception:
            # An unparsable URL: show nothing of it (it may still hold a password).
            return cls(
                connection.name, connection.kind, connection.dialect, "", None, None, None,
                connection.description,
            )  # fmt: skip
        return cls(
            connection.name, connection.kind, url.get_backend_name(), url.get_driver_name(),
            url.host, url.port, url.database, connection.description,
        )  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _builtin() -> Connection:
    return Connection(
        BUILTIN_DUCKDB, "duckdb:///:memory:", "builtin",
        "In-memory DuckDB in this kernel; queries DataFrames and files by name",
    )  # fmt: skip


def connections_file() -> Path:
    """The personal connections file: HUBKIT_CONNECTIONS_FILE or ~/.config/hubkit/."""
    return Path(os.environ.get(FILE_ENV) or DEFAULT_FILE).expanduser()


def _parse_entries(data: object, kind: Kind, source: str) -> dict[str, Connection]:
    if not isinstance(data, dict):
        raise ConnectionFileError(f"{source}: expected a JSON object of connections")
    found: dict[str, Connection] = {}
    for name, entry in data.items():
        if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
            continue  # never surface an invalid name; it cannot be used anyway
        if isinstance(entry, str):
            entry = {"url": entry}
        if not isinstance(entry, dict) or not isinstance(entry.get("url"), str):
            continue
        options = entry.get("options") or {}
        found[name] = Connection(
            name, entry["url"], kind, str(entry.get("description") or ""),
            dict(options) if isinstance(options, dict) else {},
        )  # fmt: skip
    return found


def shared_connections() -> dict[str, Connection]:
    """The admin's shared connections (read-only): from the file HUBKIT_SHARED_CONNECTIONS_FILE
    names, else from HUBKIT_SHARED_CONNECTIONS. A missing or malformed one gives none rather
    than breaking every kernel."""
    source = os.environ.get(SHARED_FILE_ENV, "").strip()
    try:
        raw = Path(source).read_text() if source else os.environ.get(SHARED_ENV, "")
    except OSError:
        return {}
    if not raw.strip():
        return {}
    try:
        return _parse_entries(json.loads(raw), "shared", source or SHARED_ENV)
    except (ValueError, ConnectionFileError):
        return {}


def _read_personal_raw() -> dict[str, Any]:
    path = connections_file()
    try:
        text = path.read_text()
    except FileNotFoundError:
        return {}
    except OSError as e:
        raise ConnectionFileError(f"Cannot read {path}: {e.strerror}") from None
    try:
        data = json.loads(text) if text.strip() else {}
    except ValueError as e:
        raise ConnectionFileError(f"{path} is not valid JSON ({e.msg}, line {e.lineno})") from None
    if not isinstance(data, dict):
        raise ConnectionFileError(f"{path}: expected a JSON object of connections")
    return data


def personal_connections() -> dict[str, Connection]:
    return _parse_entries(_read_personal_raw(), "personal", str(connections_file()))


def _write_personal_raw(data: dict[str, Any]) -> None:
    """Replace the file atomically (a temporary file in the same folder, then rename), created
    with mode 600; an existing file's mode is kept when narrower, never widened."""
    path = connections_file()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    mode = 0o600
    with contextlib.suppress(FileNotFoundError):
        mode = stat.S_IMODE(path.stat().st_mode) & 0o600
    fd, tmp = tempfile.mkstemp(prefix=".connections-", suffix=".json", dir=path.parent)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w") as f:
            json.dump(data, f, indent=2, sort_keys=True)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def all_connections() -> dict[str, Connection]:
    """Every connection by name: built-in, then shared, then personal. A personal connection
    never shadows a shared or built-in one."""
    found = {BUILTIN_DUCKDB: _builtin()}
    for name, connection in shared_connections().items():
        found.setdefault(name, connection)
    for name, connection in personal_connections().items():
        found.setdefault(name, connection)
    return found


def get_connection(name: str) -> Connection:
    """The connection called `name`, or ConnectionNameError naming it."""
    validate_name(name)
    if name == BUILTIN_DUCKDB:
        return _builtin()
    connection = all_connections().get(name)
    if connection is None:
        raise ConnectionNameError(f"No connection named {name!r}")
    return connection


def list_connections() -> list[ConnectionSummary]:
    """Every connection, without credentials: built-in first, then shared, then personal."""
    return [c.summary() for c in all_connections().values()]


def _check_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    if not isinstance(url, str):
        raise ValueError("A connection URL must be a string")
    try:
        make_url(url)
    except Exception:
        # Not the URL itself in the message: it may hold a password.
        raise ValueError(
            "Not a valid SQLAlchemy URL (dialect+driver://user:password@host/db)"
        ) from None
    return url


def add_connection(
    name: str, url: str, description: str = "", options: dict[str, Any] | None = None
) -> ConnectionSummary:
    """Save a new personal connection; refuses a name already taken."""
    validate_name(name)
    if name == BUILTIN_DUCKDB or name in shared_connections():
        raise ConnectionNameError(f"Connection name {name!r} is taken by a shared or built-in one")
    data = _read_personal_raw()
    if name in data:
        raise ConnectionNameError(f"A personal connection named {name!r} already exists")
    data[name] = _entry(_check_url(url), description, options)
    _write_personal_raw(data)
    return personal_connections()[name].summary()


def edit_connection(
    name: str,
    *,
    url: str | None = None,
    description: str | None = None,
    options: dict[str, Any] | None = None,
    new_name: str | None = None,
) -> ConnectionSummary:
    """Change a personal connection: what is given is replaced, the rest is kept."""
    validate_name(name)
    data = _read_personal_raw()
    if name not in data:
        raise ConnectionNameError(f"No personal connection named {name!r}")
    old = personal_connections().get(name)
    entry = _entry(
        _check_url(url) if url is not None else (old.url if old else data[name]["url"]),
        description if description is not None else (old.description if old else ""),
        options if options is not None else (old.options if old else None),
    )
    target = name
    if new_name is not None and new_name != name:
        target = validate_name(new_name)
        if target == BUILTIN_DUCKDB or target in shared_connections() or target in data:
            raise ConnectionNameError(f"Connection name {target!r} is already taken")
        del data[name]
    data[target] = entry
    _write_personal_raw(data)
    from .sessions import close_session

    close_session(name)
    return personal_connections()[target].summary()


def remove_connection(name: str) -> None:
    """Delete a personal connection (shared and built-in ones cannot be removed)."""
    validate_name(name)
    data = _read_personal_raw()
    if name not in data:
        raise ConnectionNameError(f"No personal connection named {name!r}")
    del data[name]
    _write_personal_raw(data)
    from .sessions import close_session

    close_session(name)


def _entry(url: str, description: str, options: dict[str, Any] | None) -> dict[str, Any]:
    entry: dict[str, Any] = {"url": url}
    if description:
        entry["description"] = str(description)
    if options:
        if not isinstance(options, dict):
            raise ValueError("options must be a JSON object")
        json.dumps(options)  # only JSON values: the file must stay readable
        entry["options"] = options
    return entry
