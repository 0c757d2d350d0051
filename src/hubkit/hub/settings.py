"""Read deployment settings from the environment with errors that name the variable."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

import os
from pathlib import Path


def secret_env(name: str) -> str:
    """A secret: the content of the file NAME_FILE names (compose mounts the secrets as files,
    mode 400, so they are not in `docker inspect`), else the variable NAME, else ''."""
    path = os.environ.get(f"{name}_FILE", "").strip()
    if path:
        try:
            return Path(path).read_text().strip()
        except OSError as e:
            raise SystemExit(f"{name}_FILE: cannot read {path}: {e.strerror}") from None
    return os.environ.get(name, "").strip()


def require_env(name: str) -> str:
    """The variable's value (or its NAME_FILE's content); exit with a message naming it (and
    its template) if unset."""
    value = secret_env(name)
    if not value:
        raise SystemExit(f"{name} is not set: add it to stack.env (see example-stack.env)")
    return value


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise SystemExit(f"{name} must be a whole number, got {raw!r}") from None


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise SystemExit(f"{name} must be true or false, got {raw!r}")
