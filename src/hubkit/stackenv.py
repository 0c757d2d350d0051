"""stack.env: the production settings and secrets, made from example-stack.env and checked.

`hubkit stack-env init` copies the template, replacing every secret with a fresh
`secrets.token_hex(32)`, and creates the file with mode 600, never over an existing one.
`hubkit stack-env check` (run by `hubkit compose up`) refuses a file that still holds a
placeholder, a weak or common secret, or that the group or others can read, naming each
variable (or the file) and what to do.
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import math
import os
import re
import secrets
import stat
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

# Values that only ever appear in the template: replaced by init, refused by check.
PLACEHOLDER = re.compile(r"CHANGE_ME|example\.(org|com|net)\b|^<.*>$", re.IGNORECASE)
LINE = re.compile(r"^(?P<comment>#\s*)?(?P<key>[A-Z][A-Z0-9_]*)=(?P<value>.*)$")
# Secret -> minimum length. Tokens are machine-to-machine (64 hex characters from init);
# passwords may be typed by a person but still need to be long.
SECRETS = {
    "CONFIGPROXY_AUTH_TOKEN": 32,
    "HUBKIT_METRICS_TOKEN": 32,
    "POSTGRES_PASSWORD": 20,
    "JUPYTER_PASSWORD": 16,
    "GRAFANA_ADMIN_PASSWORD": 16,
}
# Shannon entropy over the whole value, in bits: 64 random hex characters carry about 240.
MIN_ENTROPY_BITS = {32: 128, 20: 80, 16: 56}
COMMON = (
    "password",
    "passw0rd",
    "changeme",
    "secret",
    "admin",
    "jupyter",
    "hubkit",
    "letmein",
    "qwerty",
    "123456",
    "abcdef",
    "welcome",
    "default",
    "example",
    "postgres",
)
# Settings renamed since an older template: old name -> new name (check names both).
RENAMED = {"HUBKIT_IMAGES_FILE": "HUBKIT_IMAGES"}
# POSTGRES_PASSWORD goes into JUPYTERHUB_DB_URL unescaped: only URL-safe characters.
URL_SAFE = re.compile(r"^[A-Za-z0-9._~-]+$")


class StackEnvError(Exception):
    """stack.env cannot be used; the message lists every problem with the variable it is in."""


@dataclass(frozen=True)
class Entry:
    key: str
    value: str
    line: int
    commented: bool  # `# KEY=value`: documented, unset


def parse(text: str) -> list[Entry]:
    """KEY=value lines (and commented-out `# KEY=value` ones) of an env file."""
    entries = []
    for number, raw in enumerate(text.splitlines(), 1):
        match = LINE.match(raw.strip())
        if not match:
            continue
        value = match["value"].strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        entries.append(Entry(match["key"], value, number, bool(match["comment"])))
    return entries


def values(text: str) -> dict[str, str]:
    """The variables an env file sets (commented-out ones are not set)."""
    return {e.key: e.value for e in parse(text) if not e.commented}


def entropy_bits(value: str) -> float:
    """Shannon entropy of the value's characters times its length."""
    if not value:
        return 0.0
    counts = Counter(value)
    per_char = -sum(c / len(value) * math.log2(c / len(value)) for c in counts.values())
    return per_char * len(value)


def secret_problem(key: str, value: str) -> str | None:
    """Why the secret is unacceptable, or None."""
    minimum = SECRETS[key]
    if not value:
        return f"{key} is empty: run `hubkit stack-env init` or set a random value"
    if PLACEHOLDER.search(value):
        return f"{key} is still the template's placeholder: set `openssl rand -hex 32`"
    lowered = value.lower()
    common = next((w for w in COMMON if w in lowered), None)
    if common:
        return f"{key} contains the common word {common!r}: use a random value"
    if len(value) < minimum:
        return f"{key} is too short ({len(value)} characters, at least {minimum})"
    if entropy_bits(value) < MIN_ENTROPY_BITS[minimum]:
        return f"{key} is too predictable (repeated characters): use `openssl rand -hex 32`"
    if key == "POSTGRES_PASSWORD" and not URL_SAFE.match(value):
        return f"{key} may use only letters, digits and . _ ~ - (it goes into a database URL)"
    return None


def check(path: Path, template: Path) -> dict[str, str]:
    """Return the settings of a usable stack.env; raise StackEnvError listing every problem."""
    if not path.is_file():
        raise StackEnvError(f"{path} does not exist: run `hubkit stack-env init` to create it")
    problems = []
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        problems.append(
            f"{path} is readable by group or others (mode {mode:o}): run `chmod 600 {path}`"
        )
    settings = values(path.read_text())
    required = [e.key for e in parse(template.read_text()) if not e.commented]
    for key in required:
        if key not in settings:
            problems.append(f"{key} is missing: copy it from {template.name}")
    for old, new in RENAMED.items():
        if old in settings:
            problems.append(f"{old} was renamed {new}: rename that line of {path.name}")
    for key, value in settings.items():
        if key in SECRETS:
            problem = secret_problem(key, value)
        elif PLACEHOLDER.search(value):
            problem = f"{key} is still the template's placeholder {value!r}: set your own value"
        else:
            problem = None
        if problem:
            problems.append(problem)
    if problems:
        raise StackEnvError(f"{path} is not usable:\n  " + "\n  ".join(problems))
    return settings


def render(template_text: str, overrides: dict[str, str] | None = None) -> str:
    """The template with fresh secrets and the given values, comments kept."""
    overrides = overrides or {}
    out = []
    for raw in template_text.splitlines():
        match = LINE.match(raw.strip())
        if match:
            key = match["key"]
            if key in overrides:  # a documented, commented-out setting is set too
                raw = f"{key}={overrides[key]}"
            elif key in SECRETS and not match["comment"]:
                raw = f"{key}={secrets.token_hex(32)}"
        out.append(raw)
    return "\n".join(out) + "\n"


def init(path: Path, template: Path, overrides: dict[str, str] | None = None) -> Path:
    """Create stack.env (mode 600) from the template; never overwrite an existing file."""
    text = render(template.read_text(), overrides)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise StackEnvError(
            f"{path} already exists: not overwriting it (check it with `hubkit stack-env check`)"
        ) from None
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(path, 0o600)  # the umask cannot widen it, but be explicit
    return path
