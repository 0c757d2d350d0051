"""Tests for `hubkit images build`: input checks, build order, smoke notebooks with their
errors, and the built-images file the hub reads (the container engine is a recording fake)."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys

import pytest

from hubkit.catalog import load_catalog
from hubkit.envs.lock import DIGEST_NAME
from hubkit.images.build import (
    SmokeTestError,
    build_images,
    missing_images,
    smoke_command,
)
from hubkit.images.engine import DockerEngine, EngineError, RunResult
from hubkit.images.plan import ImageError, build_plan
from tests import ROOT

from .conftest import FakeEngine, lock_all

DATE = dt.date(2026, 11, 25)


@pytest.fixture
def locked(repo_copy):
    lock_all(repo_copy)
    return load_catalog(repo_copy / "catalog.yaml")


def run_build(catalog, engine, tmp_path, **kwargs):
    plan = build_plan(catalog, date=DATE, profiles=kwargs.pop("profiles", None))
    return build_images(
        catalog,
        engine,
        plan,
        platform=kwargs.pop("platform", "linux/amd64"),
        images_file=tmp_path / "images.json",
        log=lambda _: None,
        **kwargs,
    )


def test_builds_in_order_smoke_tests_and_records_images(locked, tmp_path):
    # Given
    engine = FakeEngine()
    # When
    images = run_build(locked, engine, tmp_path)
    # Then
    builds = [c[1] for c in engine.calls if c[0] == "build"]
    assert builds == [
        "python-sql-layer-base",
        "python-sql-layer-sql",
        "python-sql",
        "r-layer-r",
        "r",
        "julia-layer-julia",
        "julia",
        "ml-layer-ml",
        "ml",
        "everything-layer-ml",
        "everything-layer-julia",
        "everything",
    ]
    runs = [c for c in engine.calls if c[0] == "run"]
    everything = images["everything"]
    assert ("run", everything, "r.ipynb", "ir") in runs
    assert ("run", everything, "julia.ipynb", "julia") in runs
    assert ("run", everything, "ml.ipynb", "python3") in runs
    assert not [c for c in runs if c[1] == images["python-sql"] and c[3] != "python3"]
    # every build before the first smoke run: a failing notebook names a built image
    assert engine.calls.index(runs[0]) > max(
        i for i, c in enumerate(engine.calls) if c[0] == "build"
    )
    written = json.loads((tmp_path / "images.json").read_text())
    assert written == images
    assert list(written) == list(locked.profiles)
    assert written["r"].startswith("hubkit/r-notebook:2026-11-25-")


def test_building_a_subset_keeps_the_other_recorded_images(locked, tmp_path):
    (tmp_path / "images.json").write_text(
        json.dumps({"julia": "hubkit/julia-notebook:old", "gone": "x/y:z"})
    )
    images = run_build(locked, FakeEngine(), tmp_path, profiles=["r"])
    assert set(images) == {"python-sql", "r", "julia"}
    assert images["julia"] == "hubkit/julia-notebook:old"


def test_a_failed_smoke_notebook_names_image_notebook_and_cell(locked, tmp_path):
    # Given the R notebook fails in its third cell
    engine = FakeEngine()
    plan = {b.slug: b for b in build_plan(locked, date=DATE)}
    engine.run_results[(plan["r"].image, "r.ipynb")] = RunResult(
        1, "F\n____ r.ipynb::Cell 3 ____\nError in library(RPostgres)\nFAILED r.ipynb::Cell 3\n"
    )
    # When / Then
    with pytest.raises(SmokeTestError) as info:
        run_build(locked, engine, tmp_path)
    message = str(info.value)
    assert f"smoke notebook r.ipynb failed in image {plan['r'].image}" in message
    assert "with kernel ir: cell 3" in message
    assert "Error in library(RPostgres)" in message
    assert not (tmp_path / "images.json").exists()


def test_missing_locks_stop_the_build_before_docker(repo_copy, tmp_path):
    catalog = load_catalog(repo_copy / "catalog.yaml")
    engine = FakeEngine()
    with pytest.raises(ImageError) as info:
        run_build(catalog, engine, tmp_path)
    message = str(info.value)
    assert "envs/sql/conda-lock.yml does not exist (needed by python-sql)" in message
    assert "envs/julia/Manifest.toml does not exist (needed by julia, everything)" in message
    assert "pixi run lock" in message
    assert engine.calls == []


def test_a_stale_lock_says_how_to_relock(locked, repo_copy, tmp_path):
    # Given the R spec changed after its lock was made
    spec = repo_copy / "envs/r/environment.yml"
    spec.write_text(spec.read_text() + "  - r-arrow\n")
    # When / Then
    with pytest.raises(ImageError, match=r"envs/r/conda-lock.yml is stale.*pixi run lock"):
        run_build(locked, FakeEngine(), tmp_path)
    assert (repo_copy / "envs/r" / DIGEST_NAME).is_file()


def test_no_docker_is_said_plainly(locked, tmp_path):
    with pytest.raises(EngineError, match="Docker is not installed"):
        run_build(locked, FakeEngine(available=False), tmp_path)
    with pytest.raises(EngineError, match="Docker is not installed: `no-such-docker`"):
        DockerEngine("no-such-docker").check_available()


def test_profiles_not_available_on_the_platform_are_skipped(locked, tmp_path):
    plan = build_plan(locked, date=DATE)
    object.__setattr__(plan[1], "platforms", ("linux/amd64",))  # r: amd64 only
    engine = FakeEngine()
    logs = []
    build_images(
        locked,
        engine,
        plan,
        platform="linux/arm64",
        images_file=tmp_path / "i.json",
        log=logs.append,
    )
    built = [c[1] for c in engine.calls if c[0] == "build"]
    assert "r" not in built and "r-layer-r" not in built and "julia" in built
    assert any("skip r: not available on linux/arm64" in line for line in logs)


def test_bake_writes_a_bake_file_and_builds_all_targets_at_once(locked, tmp_path):
    engine = FakeEngine()
    run_build(locked, engine, tmp_path, bake=True, smoke=False)
    assert engine.calls == [
        ("bake", ("python-sql", "r", "julia", "ml", "everything"), "linux/amd64")
    ]
    bake = json.loads((locked.root / ".hubkit/build/docker-bake.json").read_text())
    assert bake["group"]["default"]["targets"] == list(locked.profiles)
    steps = {s.name for b in build_plan(locked, date=DATE) for s in b.steps}
    assert set(bake["target"]) == steps


def test_missing_images_compares_digests_and_presence(locked, tmp_path):
    engine = FakeEngine()
    images = run_build(locked, engine, tmp_path, smoke=False)
    path = tmp_path / "images.json"
    plan = build_plan(locked, date=dt.date(2026, 12, 1))  # another day, same content
    assert missing_images(engine, plan, path, "linux/amd64") == []
    engine.present.discard(images["ml"])
    assert missing_images(engine, plan, path, "linux/amd64") == ["ml"]
    (locked.root / "envs/r/conda-lock.yml").write_text("version: 1\npackage: []\n")
    plan = build_plan(locked, date=DATE)
    assert missing_images(engine, plan, path, "linux/amd64") == ["r", "ml", "everything"]


def test_smoke_command_runs_nbval_with_the_kernel():
    argv = smoke_command(ROOT / "notebooks/smoke/r.ipynb", "ir", "/opt/envs/python")
    assert argv[:2] == ["bash", "-c"]
    assert "--nbval-lax --nbval-kernel-name=ir /home/jovyan/smoke/r.ipynb" in argv[2]
    assert "nbval==" in argv[2]


def test_cli_build_without_locks_fails_with_one_line_per_problem(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "hubkit", "images", "build", "--profile=r"],
        capture_output=True,
        text=True,
        env={**os.environ, "HUBKIT_IMAGES": str(tmp_path / "images.json")},
        timeout=120,
    )
    if (ROOT / "envs/sql/conda-lock.yml").is_file():
        pytest.skip("the locks are committed: this checks the message without them")
    assert result.returncode == 1
    assert result.stderr.startswith("hubkit: error: cannot build images:")
    assert "Traceback" not in result.stderr
    assert "envs/r/conda-lock.yml does not exist" in result.stderr


def test_cli_plan_json_is_the_ci_matrix():
    result = subprocess.run(
        [sys.executable, "-m", "hubkit", "images", "plan", "--json", "--date=2026-11-25"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [r["profile"] for r in rows] == ["python-sql", "r", "julia", "ml", "everything"]
    assert rows[1]["base_image"] == rows[0]["image"]
    assert rows[1]["steps"][0]["build_args"]["BASE_IMAGE"] == rows[0]["image"]
    assert rows[1]["steps"][-1]["image"] == rows[1]["image"]
    assert rows[1]["steps"][-1]["dockerfile"] == "images/profile/Dockerfile"
