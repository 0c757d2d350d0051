"""Tests for the image build plan: order, tags, base images, build args, platforms, and that
every Dockerfile does what the plan says (without Docker)."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import datetime as dt
import re

import pytest
import yaml

from hubkit.catalog import load_catalog
from hubkit.images.plan import (
    MICROMAMBA_IMAGE,
    ROOT_IMAGE,
    ImageError,
    bake_file,
    build_plan,
    content_digest,
)

from .conftest import lock_all, write_lock

DATE = dt.date(2026, 11, 25)


def by_slug(plan):
    return {b.slug: b for b in plan}


def test_parents_are_built_before_their_children(catalog):
    # When
    order = [b.slug for b in build_plan(catalog, date=DATE)]
    # Then
    assert order[0] == "python-sql"
    assert set(order) == set(catalog.profiles)
    for slug in order:
        parent = catalog.profiles[slug].parent
        if parent:
            assert order.index(parent) < order.index(slug), f"{parent} after {slug}"


def test_each_image_is_built_from_its_parent_image(catalog):
    plan = by_slug(build_plan(catalog, date=DATE))
    assert plan["python-sql"].base_image == ROOT_IMAGE
    assert plan["python-sql"].build_args["MICROMAMBA_IMAGE"] == MICROMAMBA_IMAGE
    assert "BASE_IMAGE" not in plan["python-sql"].build_args
    for slug in ("r", "julia", "ml"):
        assert plan[slug].build_args["BASE_IMAGE"] == plan["python-sql"].image
    assert plan["everything"].build_args["BASE_IMAGE"] == plan["r"].image
    for build in plan.values():
        assert build.build_args["HUBKIT_PROFILE"] == build.slug
        assert build.build_args["ROOT_IMAGE"] == ROOT_IMAGE


def test_tags_carry_the_date_and_content_digest_never_latest(catalog):
    plan = build_plan(catalog, date=DATE, registry="ghcr.io/", owner="homelab")
    for build in plan:
        assert re.fullmatch(
            rf"ghcr\.io/homelab/{build.slug}-notebook:2026-11-25-[0-9a-f]{{12}}", build.image
        )
        assert build.tag.endswith(build.digest[:12])
        assert "latest" not in build.image
    assert len({b.digest for b in plan}) == len(plan)


def test_a_changed_lock_retags_the_image_and_its_children_only(repo_copy):
    # Given
    catalog = load_catalog(repo_copy / "catalog.yaml")
    before = by_slug(build_plan(catalog, date=DATE))
    # When the R lock changes
    write_lock(repo_copy, "r")
    after = by_slug(build_plan(catalog, date=DATE))
    # Then
    changed = {slug for slug in before if before[slug].image != after[slug].image}
    assert changed == {"r", "everything"}


def test_installs_follow_the_layered_locks(catalog):
    plan = by_slug(build_plan(catalog, date=DATE))

    def installs(slug):
        return [(i.env, i.prefix, i.mode) for i in plan[slug].installs]

    assert installs("python-sql") == [("sql", "/opt/envs/python", "create")]
    assert installs("r") == [("r", "/opt/envs/r", "create")]
    assert installs("ml") == [("ml", "/opt/envs/python", "update")]
    assert installs("everything") == [
        ("ml", "/opt/envs/python", "update"),
        ("julia", "/opt/envs/julia", "create"),
    ]


def test_selecting_a_profile_brings_its_parents(catalog):
    plan = build_plan(catalog, date=DATE, profiles=["everything"])
    assert [b.slug for b in plan] == ["python-sql", "r", "everything"]


def test_unknown_profile_or_platform_is_named(catalog):
    with pytest.raises(ImageError, match=r"unknown profile 'rust'.*python-sql"):
        build_plan(catalog, profiles=["rust"])
    with pytest.raises(ImageError, match="unknown platform linux/s390x"):
        build_plan(catalog, platforms=["linux/s390x"])


def test_catalog_platforms_restrict_where_a_variant_is_built(repo_copy):
    # Given R is only available on linux-64
    path = repo_copy / "catalog.yaml"
    data = yaml.safe_load(path.read_text())
    data["environments"]["r"]["platforms"] = ["linux-64"]
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    catalog = load_catalog(path)
    # When
    plan = by_slug(build_plan(catalog, date=DATE))
    arm = by_slug(build_plan(catalog, date=DATE, platforms=["linux/arm64"]))
    # Then
    assert plan["r"].platforms == ("linux/amd64",)
    assert plan["everything"].platforms == ("linux/amd64",)
    assert plan["julia"].platforms == ("linux/amd64", "linux/arm64")
    assert set(arm) == {"python-sql", "julia", "ml"}


def test_missing_locks_are_listed_per_image(repo_copy):
    catalog = load_catalog(repo_copy / "catalog.yaml")
    plan = by_slug(build_plan(catalog, date=DATE))
    names = {
        b.slug: [p.relative_to(repo_copy).as_posix() for p in b.missing_locks]
        for b in plan.values()
    }
    assert names["julia"] == ["envs/julia/conda-lock.yml", "envs/julia/Manifest.toml"]
    lock_all(repo_copy)
    assert all(not b.missing_locks for b in build_plan(catalog, date=DATE))


def test_digest_covers_files_copied_into_the_prefix(repo_copy):
    catalog = load_catalog(repo_copy / "catalog.yaml")
    before = content_digest(catalog, "python-sql")
    (repo_copy / "envs/python/share/jupyter/lab/settings/overrides.json").write_text("{}")
    assert content_digest(catalog, "python-sql") != before


def test_bake_file_links_children_to_their_parent_target(catalog):
    plan = build_plan(catalog, date=DATE)
    bake = bake_file(plan)
    targets = bake["target"]
    assert bake["group"]["default"]["targets"] == [b.slug for b in plan]
    r = targets["r"]
    assert r["contexts"] == {by_slug(plan)["python-sql"].image: "target:python-sql"}
    assert r["dockerfile"] == "images/r/Dockerfile"
    assert r["platforms"] == ["linux/amd64", "linux/arm64"]
    assert "contexts" not in targets["python-sql"]
    assert r["tags"] == [by_slug(plan)["r"].image]


# --- The Dockerfiles do what the plan says ---------------------------------------------------


def dockerfile(build) -> str:
    return build.dockerfile.read_text()


@pytest.mark.parametrize("slug", ["python-sql", "r", "julia", "ml", "everything"])
def test_dockerfile_installs_the_planned_locks(catalog, slug):
    build = by_slug(build_plan(catalog, date=DATE))[slug]
    text = dockerfile(build)
    assert text.startswith("# Copyright (c) hubkit contributors.")
    for install in build.installs:
        lock = install.lock.relative_to(catalog.root).as_posix()
        assert f"COPY {lock} " in text, f"{slug} does not copy {lock}"
        assert re.search(
            rf"hubkit-install-lock --mode {install.mode} --prefix {install.prefix} "
            rf"--locks /tmp/locks/{install.env}\b",
            text,
        ), f"{slug} does not {install.mode} {install.prefix} from {install.env}"
        for env in catalog.chain(install.env):
            for name in env.drop_labextensions:
                assert f"--drop {name}" in text, f"{slug} keeps {name} ({env.name})"
            for sub in ("etc", "share"):
                if (env.spec_dir / sub).is_dir():
                    assert f"COPY envs/{env.name}/{sub} " in text, f"{slug}: envs/{env.name}/{sub}"
    # Nothing is solved: only explicit lists go to micromamba.
    assert "micromamba install" not in text and "micromamba create" not in text
    assert "conda install" not in text and "mamba install" not in text


@pytest.mark.parametrize("slug", ["python-sql", "r", "julia", "ml", "everything"])
def test_dockerfile_args_are_given_by_the_plan(catalog, slug):
    build = by_slug(build_plan(catalog, date=DATE))[slug]
    text = dockerfile(build)
    automatic = {"TARGETARCH", "TARGETPLATFORM", "TARGETOS", "BUILDPLATFORM"}
    for name, default in re.findall(r"^ARG (\w+)(=\S+)?", text, re.M):
        if name in automatic:
            continue
        assert name in build.build_args, f"{slug}: ARG {name} is not passed by the plan"
        if default:
            assert default[1:] == build.build_args[name] or name == "HUBKIT_PROFILE"
    if build.parent:
        assert re.search(r"^FROM \$\{BASE_IMAGE\} AS " + re.escape(slug) + "$", text, re.M)


@pytest.mark.parametrize("slug", ["python-sql", "r", "julia", "ml", "everything"])
def test_dockerfile_finishes_as_jovyan_with_kernelspecs_and_manifest(catalog, slug):
    text = dockerfile(by_slug(build_plan(catalog, date=DATE))[slug])
    users = re.findall(r"^USER (.+)$", text, re.M)
    assert users[-1] == "${NB_UID}"
    assert "python -m hubkit.images.finalize --profile" in text
    assert "COPY src/hubkit /opt/hubkit/src/hubkit" in text


def test_base_image_has_user_healthcheck_and_singleuser_entrypoint(catalog):
    text = (catalog.root / "images/python-sql/Dockerfile").read_text()
    assert "NB_UID=1000" in text and "useradd --create-home" in text
    assert "HEALTHCHECK" in text and "hubkit-healthcheck" in text
    assert 'CMD ["jupyterhub-singleuser"]' in text
    assert 'ENTRYPOINT ["tini", "-g", "--"]' in text
    assert "JUPYTER_PATH=/opt/hubkit/share/jupyter" in text


@pytest.mark.parametrize("slug", ["julia", "everything"])
def test_julia_packages_come_from_the_manifest_into_the_prefix_depot(catalog, slug):
    text = (catalog.root / "images" / slug / "Dockerfile").read_text()
    assert "COPY envs/julia/Project.toml envs/julia/Manifest.toml /opt/envs/julia/project/" in text
    assert "Pkg.instantiate()" in text
    assert "JULIA_DEPOT_PATH=/opt/envs/julia/depot" in text
    assert "JULIA_CPU_TARGET=" in text and "amd64)" in text and "arm64)" in text
    assert "Pkg.add" not in text  # never a fresh resolve in the image


def test_every_profile_has_an_image_folder_with_readme(catalog):
    for slug in catalog.profiles:
        folder = catalog.root / "images" / slug
        assert (folder / "Dockerfile").is_file(), slug
        assert (folder / "README.md").is_file(), slug
    assert (catalog.root / "images/hub/Dockerfile").is_file()
