"""Tests for the docker-stacks coverage: every package of the recorded scipy-notebook and
datascience-notebook lists is in one of the catalog's specs (issue 16)."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import re

import yaml
from rattler import MatchSpec

from hubkit.envs.spec import load_spec

from .. import ROOT

RECORD = "envs/python/docker-stacks.yaml"


def read_record() -> dict:
    return yaml.safe_load((ROOT / RECORD).read_text())


def test_the_record_names_its_docker_stacks_commit():
    record = read_record()
    assert re.fullmatch(r"[0-9a-f]{40}", record["commit"])
    assert set(record["images"]) == {"scipy-notebook", "datascience-notebook"}


def test_every_docker_stacks_package_is_in_a_spec(catalog):
    # Given the packages docker-stacks' images install
    record = read_record()
    wanted = {
        MatchSpec(line).name.normalized: image
        for image, lines in record["images"].items()
        for line in lines
    }
    # When every spec of the catalog is read
    ours = {
        req.name
        for env in catalog.environments.values()
        for req in load_spec(env.spec_file).requirements
    }
    # Then none is missing
    missing = sorted(f"{name} ({image})" for name, image in wanted.items() if name not in ours)
    assert not missing, f"in {RECORD} but in no envs/*/environment.yml: {', '.join(missing)}"
