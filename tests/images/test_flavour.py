"""Tests for the PyPI flavour of the image plan: which profiles have one, what the recipes are
given (the same translation of the specs as local mode), and how its images are tagged."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import datetime as _dt
import os
import subprocess
import sys

import pytest

from hubkit import stackenv
from hubkit.envs.pypi import pip_requirements
from hubkit.envs.spec import load_spec
from hubkit.images.plan import ImageError, build_plan
from tests import ROOT

DATE = _dt.date(2026, 11, 30)


def test_pypi_flavour_builds_the_profiles_local_mode_installs_from_pypi(catalog):
    plan = {b.slug: b for b in build_plan(catalog, date=DATE, flavour="pypi")}
    assert list(plan) == ["python-sql", "ml"]  # R and Julia come from the system locally
    for build in plan.values():
        assert build.tag.endswith("-pypi") and build.flavour == "pypi"
        assert build.missing_locks == ()
    conda = {b.slug: b for b in build_plan(catalog, date=DATE)}
    assert conda["python-sql"].image != plan["python-sql"].image


def test_pypi_layers_install_the_spec_chain_as_local_mode_does(catalog):
    [build] = build_plan(catalog, date=DATE, flavour="pypi", profiles=["python-sql"])
    base, layer, profile = build.steps
    assert base.build_args["FLAVOUR"] == "pypi"
    assert layer.build_args["FLAVOUR"] == "pypi"
    wanted = pip_requirements([load_spec(e.spec_file) for e in catalog.chain("sql")])
    assert layer.build_args["REQUIREMENTS"].split(" ") == wanted
    assert layer.build_args["PREFIX"] == "/opt/envs/python"
    assert profile.build_args["SERVER_PREFIX"] == "/opt/envs/python"
    # the conda flavour's arguments are what they were
    [conda] = build_plan(catalog, date=DATE, profiles=["python-sql"])
    assert "FLAVOUR" not in conda.steps[0].build_args
    assert "REQUIREMENTS" not in conda.steps[1].build_args


def test_root_image_is_every_builds_first_from(catalog):
    [build] = build_plan(
        catalog,
        date=DATE,
        flavour="pypi",
        profiles=["python-sql"],
        root_image="mirror.lan/debian:13",
    )
    assert build.steps[0].build_args["ROOT_IMAGE"] == "mirror.lan/debian:13"
    assert build.steps[1].build_args["ROOT_IMAGE"] == "mirror.lan/debian:13"


def test_a_profile_without_pypi_flavour_is_named(catalog):
    with pytest.raises(ImageError, match=r"no PyPI flavour: r: r cannot be installed from PyPI"):
        build_plan(catalog, date=DATE, flavour="pypi", profiles=["r"])
    with pytest.raises(ImageError, match="unknown flavour"):
        build_plan(catalog, date=DATE, flavour="apt")


def test_stack_env_init_takes_the_socket_from_docker_host(tmp_path):
    socket = tmp_path / "docker.sock"
    socket.touch()
    env = {**os.environ, "DOCKER_HOST": f"unix://{socket}"}
    subprocess.run(
        [
            sys.executable,
            "-m",
            "hubkit",
            "stack-env",
            "init",
            f"--file={tmp_path / 'stack.env'}",
            f"--catalog={ROOT / 'catalog.yaml'}",
        ],
        env=env,
        check=True,
        capture_output=True,
    )
    values = stackenv.values((tmp_path / "stack.env").read_text())
    assert values["HUBKIT_DOCKER_SOCKET"] == str(socket)
    assert values["HUBKIT_DOCKER_GID"] == str(socket.stat().st_gid)
