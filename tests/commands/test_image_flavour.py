"""Tests for the images' flavour as a stack setting (HUBKIT_IMAGE_FLAVOUR in stack.env): what
`hubkit images build` and `hubkit compose up` plan. The real `hubkit compose up` with the PyPI
flavour brings the stack up in tests/docker/test_stack.py."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import json

from .test_cli import hubkit


def planned(tmp_path, *args: str, **env: str) -> list[dict]:
    result = hubkit("images", "plan", "--json", f"--file={tmp_path / 'stack.env'}", *args, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_stack_env_sets_the_flavour_that_build_and_up_plan(tmp_path):
    stack_env = tmp_path / "stack.env"
    # Without the setting: the conda-lock flavour, as before
    stack_env.write_text("HUBKIT_IMAGE_OWNER=hubkit\n")
    assert not any(b["image"].endswith("-pypi") for b in planned(tmp_path))
    # With HUBKIT_IMAGE_FLAVOUR=pypi in stack.env: the PyPI images (no conda lock needed), and
    # only the profiles PyPI can build
    stack_env.write_text("HUBKIT_IMAGE_FLAVOUR=pypi\n")
    plan = planned(tmp_path)
    assert plan and all(b["image"].endswith("-pypi") for b in plan)
    assert all(b["missing_locks"] == [] for b in plan)
    assert "python-sql" in {b["profile"] for b in plan}
    # The command line wins over stack.env
    assert not any(b["image"].endswith("-pypi") for b in planned(tmp_path, "--flavour=conda"))


def test_a_bad_flavour_in_stack_env_is_named(tmp_path):
    (tmp_path / "stack.env").write_text("HUBKIT_IMAGE_FLAVOUR=wheels\n")
    result = hubkit("images", "plan", f"--file={tmp_path / 'stack.env'}")
    assert result.returncode == 1
    assert "HUBKIT_IMAGE_FLAVOUR must be conda or pypi, not 'wheels'" in result.stderr
    assert "Traceback" not in result.stderr
