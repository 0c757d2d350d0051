"""Tests for stack.env: every variable read anywhere is documented in example-stack.env, and
`hubkit stack-env init/check` make strong files and refuse bad ones with named errors."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from hubkit import stackenv
from tests import ROOT

TEMPLATE = ROOT / "example-stack.env"
READ = re.compile(
    r"(?:os\.environ\.get|os\.environ\[|os\.getenv|getenv|require_env|env_int|env_bool)"
    r"\(?\s*[\"']([A-Z][A-Z0-9_]+)[\"']"
)
# Set by Docker/BuildKit or the shell, not by an admin.
NOT_SETTINGS = {"PATH", "HOME", "TARGETARCH", "CI", "DOCKER_HOST"}


def variables_read() -> dict[str, str]:
    """Variable -> where it is read: Python in src/ and hub/, ${VAR} in compose, the images'
    runtime ENV consumers (`${VAR` in their scripts)."""
    found: dict[str, str] = {}
    for path in [*ROOT.glob("src/**/*.py"), *ROOT.glob("hub/**/*.py")]:
        for name in READ.findall(path.read_text()):
            found.setdefault(name, str(path.relative_to(ROOT)))
    for name in re.findall(r"\$\{(\w+)", (ROOT / "docker-compose.yaml").read_text()):
        found.setdefault(name, "docker-compose.yaml")
    for script in ROOT.glob("images/*/hubkit-*"):
        for name in READ.findall(script.read_text()):
            found.setdefault(name, str(script.relative_to(ROOT)))
    return {k: v for k, v in found.items() if k not in NOT_SETTINGS}


def test_every_variable_read_is_documented_in_example_stack_env():
    documented = {e.key for e in stackenv.parse(TEMPLATE.read_text())}
    read = variables_read()
    assert {"JUPYTER_PASSWORD", "CONFIGPROXY_AUTH_TOKEN", "JUPYTER_DOMAIN"} <= set(read)
    missing = {name: where for name, where in read.items() if name not in documented}
    assert missing == {}, f"read but not in example-stack.env: {missing}"


def test_every_template_entry_has_a_comment():
    lines = TEMPLATE.read_text().splitlines()
    for i, line in enumerate(lines):
        match = stackenv.LINE.match(line.strip())
        if not match:
            continue
        j = i - 1  # a comment may document a group of consecutive settings
        while j >= 0 and stackenv.LINE.match(lines[j].strip()):
            j -= 1
        above = lines[j].strip() if j >= 0 else ""
        assert above.startswith("#"), f"{match['key']} has no comment above it"


def test_template_has_placeholders_only():
    for entry in stackenv.parse(TEMPLATE.read_text()):
        if entry.key in stackenv.SECRETS:
            assert entry.value == "CHANGE_ME", entry.key


@pytest.fixture
def created(tmp_path) -> Path:
    path = tmp_path / "stack.env"
    stackenv.init(
        path,
        TEMPLATE,
        {"JUPYTER_DOMAIN": "hub.home.lan", "ACME_EMAIL": "me@home.lan", "HUBKIT_DOCKER_GID": "988"},
    )
    return path


def test_init_makes_a_private_file_with_fresh_strong_secrets(created, tmp_path):
    assert oct(created.stat().st_mode & 0o777) == "0o600"
    settings = stackenv.values(created.read_text())
    secrets = [settings[k] for k in stackenv.SECRETS]
    assert all(re.fullmatch(r"[0-9a-f]{64}", s) for s in secrets)
    assert len(set(secrets)) == len(secrets)
    other = tmp_path / "other.env"
    stackenv.init(other, TEMPLATE)
    assert stackenv.values(other.read_text())["JUPYTER_PASSWORD"] != settings["JUPYTER_PASSWORD"]
    assert settings["JUPYTER_DOMAIN"] == "hub.home.lan"
    assert "# The hub's host name" in created.read_text()  # comments kept
    assert stackenv.check(created, TEMPLATE)["HUBKIT_DOCKER_GID"] == "988"


def test_init_never_overwrites(created):
    before = created.read_text()
    with pytest.raises(stackenv.StackEnvError, match="already exists: not overwriting"):
        stackenv.init(created, TEMPLATE)
    assert created.read_text() == before


def replace(path: Path, key: str, value: str) -> None:
    text = re.sub(rf"^{key}=.*$", f"{key}={value}", path.read_text(), flags=re.M)
    path.write_text(text)


@pytest.mark.parametrize(
    "key, value, message",
    [
        ("CONFIGPROXY_AUTH_TOKEN", "CHANGE_ME", "CONFIGPROXY_AUTH_TOKEN is still the template's"),
        ("JUPYTER_PASSWORD", "", "JUPYTER_PASSWORD is empty"),
        (
            "JUPYTER_PASSWORD",
            "hunter2",
            "JUPYTER_PASSWORD is too short (7 characters, at least 16)",
        ),
        (
            "POSTGRES_PASSWORD",
            "Password1234567890abc",
            "POSTGRES_PASSWORD contains the common word",
        ),
        ("CONFIGPROXY_AUTH_TOKEN", "ab" * 32, "CONFIGPROXY_AUTH_TOKEN is too predictable"),
        ("HUBKIT_METRICS_TOKEN", "0123456789abcdef" * 2 + "x", "HUBKIT_METRICS_TOKEN contains"),
        ("POSTGRES_PASSWORD", "Zq8@w3#Lm9!pR2$vT6&yK4", "POSTGRES_PASSWORD may use only letters"),
        ("JUPYTER_DOMAIN", "hub.example.org", "JUPYTER_DOMAIN is still the template's placeholder"),
        ("HUBKIT_DOCKER_GID", "CHANGE_ME", "HUBKIT_DOCKER_GID is still the template's placeholder"),
    ],
)
def test_check_refuses_bad_values_naming_the_variable(created, key, value, message):
    replace(created, key, value)
    with pytest.raises(stackenv.StackEnvError) as info:
        stackenv.check(created, TEMPLATE)
    assert message in str(info.value)


def test_check_refuses_a_group_or_world_readable_file(created):
    created.chmod(0o644)
    with pytest.raises(stackenv.StackEnvError, match=r"readable by group or others \(mode 644\)"):
        stackenv.check(created, TEMPLATE)


def test_check_names_a_missing_variable_and_a_missing_file(created, tmp_path):
    created.write_text(
        "\n".join(
            line
            for line in created.read_text().splitlines()
            if not line.startswith("POSTGRES_PASSWORD=")
        )
    )
    with pytest.raises(stackenv.StackEnvError, match="POSTGRES_PASSWORD is missing"):
        stackenv.check(created, TEMPLATE)
    with pytest.raises(stackenv.StackEnvError, match="does not exist: run `hubkit stack-env init`"):
        stackenv.check(tmp_path / "nope.env", TEMPLATE)


def test_check_lists_every_problem_at_once(created):
    replace(created, "JUPYTER_PASSWORD", "admin")
    replace(created, "GRAFANA_ADMIN_PASSWORD", "CHANGE_ME")
    created.chmod(0o640)
    with pytest.raises(stackenv.StackEnvError) as info:
        stackenv.check(created, TEMPLATE)
    message = str(info.value)
    assert "JUPYTER_PASSWORD" in message and "GRAFANA_ADMIN_PASSWORD" in message
    assert "chmod 600" in message


@pytest.mark.slow  # four `hubkit` processes, each importing JupyterHub: about 10 s
def test_cli_init_then_check(tmp_path):
    def hubkit(*args):
        return subprocess.run(
            [sys.executable, "-m", "hubkit", *args],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            env={**env, "HUBKIT_CATALOG": str(ROOT / "catalog.yaml")},
            timeout=120,
        )

    env = {k: v for k, v in os.environ.items() if not k.startswith("HUBKIT_")}
    env["HUBKIT_IMAGES"] = str(tmp_path / "images.json")
    # The admin works in a folder of their own; the template comes from the project's
    first = hubkit("stack-env", "init", "--domain=hub.home.lan", "--email=me@home.lan")
    assert first.returncode == 0, first.stderr
    assert "mode 600" in first.stdout
    # and the images file compose mounts exists, empty until a build (never a folder Docker made)
    assert json.loads((tmp_path / "images.json").read_text()) == {}
    again = hubkit("stack-env", "init")
    assert again.returncode == 1
    assert "already exists" in again.stderr and "Traceback" not in again.stderr
    env_file = tmp_path / "stack.env"
    if "HUBKIT_DOCKER_GID" in first.stdout:  # no docker socket here: set it by hand
        replace(env_file, "HUBKIT_DOCKER_GID", "988")
    check = hubkit("stack-env", "check")
    assert check.returncode == 0, check.stderr
    env_file.chmod(0o644)
    bad = hubkit("stack-env", "check")
    assert bad.returncode == 1
    assert "hubkit: error:" in bad.stderr and "chmod 600" in bad.stderr


@pytest.mark.slow  # two `hubkit` processes, each importing JupyterHub
def test_image_names_and_file_come_from_stack_env_unless_the_environment_sets_them(tmp_path):
    # Given a stack.env naming a registry, an owner and an images file
    env_file = tmp_path / "stack.env"
    stackenv.init(env_file, TEMPLATE)
    replace(env_file, "HUBKIT_REGISTRY", "registry.home.lan")
    replace(env_file, "HUBKIT_IMAGE_OWNER", "lab")
    replace(env_file, "HUBKIT_IMAGES", str(tmp_path / "built.json"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUBKIT_")}

    def plan(**extra: str) -> list[dict]:
        result = subprocess.run(
            [sys.executable, "-m", "hubkit", "images", "plan", "--json", "--profile=python-sql"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            env={**env, "HUBKIT_CATALOG": str(ROOT / "catalog.yaml"), **extra},
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    # When the admin plans the build in the stack's folder
    # Then the images are named after the registry and owner of stack.env
    [build] = plan()
    assert build["image"].startswith("registry.home.lan/lab/python-sql-notebook:")
    # And the environment wins over stack.env
    [build] = plan(HUBKIT_REGISTRY="", HUBKIT_IMAGE_OWNER="ci")
    assert build["image"].startswith("ci/python-sql-notebook:")


def test_the_renamed_images_setting_is_named_with_its_new_name(created):
    # Given a stack.env from an older template
    replace(created, "HUBKIT_IMAGES", "./.hubkit/images.json")
    created.write_text(created.read_text().replace("HUBKIT_IMAGES=", "HUBKIT_IMAGES_FILE="))
    # Then check says what it is called now
    with pytest.raises(stackenv.StackEnvError) as info:
        stackenv.check(created, TEMPLATE)
    assert "HUBKIT_IMAGES_FILE was renamed HUBKIT_IMAGES" in str(info.value)
    assert "HUBKIT_IMAGES is missing" in str(info.value)
