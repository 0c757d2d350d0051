"""Tests that each setting has one default: example-stack.env's value is what
docker-compose.yaml (`${VAR:-default}`) and hub/jupyterhub_config.py (`env_int`, `env_bool`) fall
back to when stack.env leaves it unset."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import re

import pytest

from hubkit import stackenv
from tests import ROOT

TEXT = (ROOT / "example-stack.env").read_text()
TEMPLATE = stackenv.parse(TEXT)
# The template's value of each setting, set or documented as `# NAME=value`.
DOCUMENTED = {e.key: e.value for e in reversed(TEMPLATE)}
# The template's section of values compose sets inside the containers: not stack.env defaults.
_SET_BY_COMPOSE = next(
    i for i, line in enumerate(TEXT.splitlines(), 1) if line.startswith("# --- Set by docker")
)
_LOCAL_ONLY = next(
    i for i, line in enumerate(TEXT.splitlines(), 1) if line.startswith("# --- Local mode only")
)
CONTAINER_SIDE = {e.key for e in TEMPLATE if _SET_BY_COMPOSE < e.line < _LOCAL_ONLY}
# Compose's way of saying "none", where the template shows an example value instead.
NONE = {("HUBKIT_EXTRA_CA_CERT", "/dev/null")}


def compose_defaults() -> list[tuple[str, str]]:
    text = (ROOT / "docker-compose.yaml").read_text()
    return re.findall(r"\$\{(\w+):-([^}]*)\}", text)


def config_defaults() -> list[tuple[str, str]]:
    text = (ROOT / "hub" / "jupyterhub_config.py").read_text()
    found = re.findall(r"env_(?:int|bool)\(\s*[\"'](\w+)[\"'],\s*(\w+)\s*\)", text)
    assert ("HUBKIT_START_TIMEOUT", "600") in found, "the parser no longer finds the timeouts"
    return found


def normal(value: str) -> str:
    """Booleans and `0 or empty means unset` compared as the hub reads them."""
    lowered = value.strip().lower()
    return {"false": "false", "true": "true", "0": "", "": ""}.get(lowered, value.strip())


def stack_env_settings(found: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The settings stack.env may set (not those compose sets inside the containers)."""
    return [(n, d) for n, d in found if n not in CONTAINER_SIDE and (n, d) not in NONE]


@pytest.mark.parametrize(
    ("name", "default"), stack_env_settings(compose_defaults()), ids=lambda v: str(v)[:40]
)
def test_compose_defaults_are_the_templates_values(name: str, default: str):
    assert name in DOCUMENTED, f"{name} is read by compose but not in example-stack.env"
    assert normal(DOCUMENTED[name]) == normal(default), (
        f"{name}: docker-compose.yaml falls back to {default!r}, "
        f"example-stack.env says {DOCUMENTED[name]!r}"
    )


@pytest.mark.parametrize(("name", "default"), stack_env_settings(config_defaults()))
def test_hub_config_defaults_are_the_templates_values(name: str, default: str):
    assert name in DOCUMENTED, f"{name} is read by the hub but not in example-stack.env"
    assert normal(DOCUMENTED[name]) == normal(default), (
        f"{name}: hub/jupyterhub_config.py falls back to {default!r}, "
        f"example-stack.env says {DOCUMENTED[name]!r}"
    )


def test_the_timeouts_agree_in_all_three_places():
    # Given the spawn and HTTP timeouts an admin reads in example-stack.env
    compose, config = dict(compose_defaults()), dict(config_defaults())
    for name in ("HUBKIT_START_TIMEOUT", "HUBKIT_HTTP_TIMEOUT"):
        # Then compose and the hub fall back to the same number
        assert DOCUMENTED[name] == compose[name] == config[name], name
