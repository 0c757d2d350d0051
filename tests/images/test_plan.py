"""Tests for the image build plan: order, tags, base images, build args, platforms, and that
every Dockerfile does what the plan says (without Docker).

What a built image does is tested on images built here (tests/docker/test_images.py: the
user, healthcheck, entrypoint, prefixes, kernelspecs, manifest and extensions of the PyPI
flavour). The text checks left here are of the steps no machine without conda channels can
build: the conda-lock installs and Julia's depot, which the GitHub workflows build for real."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
import yaml

from hubkit.catalog import load_catalog
from hubkit.images.build import missing_images
from hubkit.images.plan import (
    LAYER_DOCKERFILE,
    MICROMAMBA_IMAGE,
    PROFILE_DOCKERFILE,
    ROOT_DOCKERFILE,
    ROOT_IMAGE,
    ImageError,
    bake_file,
    build_plan,
    content_digest,
)

from ..utils import edited_catalog
from .conftest import FakeEngine, lock_all, write_lock

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
    root = plan["python-sql"].steps[0]
    assert plan["python-sql"].base_image == root.base_image == ROOT_IMAGE
    assert root.dockerfile == catalog.root / ROOT_DOCKERFILE
    assert root.build_args == {"ROOT_IMAGE": ROOT_IMAGE, "MICROMAMBA_IMAGE": MICROMAMBA_IMAGE}
    for slug in ("r", "julia", "ml"):
        assert plan[slug].base_image == plan["python-sql"].image
        assert plan[slug].steps[0].build_args["BASE_IMAGE"] == plan["python-sql"].image
    assert plan["everything"].steps[0].build_args["BASE_IMAGE"] == plan["r"].image
    for build in plan.values():
        # each step builds FROM the one before it; the last one is the profile step
        for before, step in zip(build.steps, build.steps[1:], strict=False):
            assert step.build_args["BASE_IMAGE"] == step.base_image == before.image
        last = build.steps[-1]
        assert last.dockerfile == catalog.root / PROFILE_DOCKERFILE
        assert last.build_args["HUBKIT_PROFILE"] == build.slug
        assert last.image == build.image and last.final
        for step in build.steps:
            if step.dockerfile == catalog.root / LAYER_DOCKERFILE:
                assert step.build_args["ROOT_IMAGE"] == ROOT_IMAGE


def test_only_the_profile_step_carries_the_profiles_tag(catalog):
    plan = by_slug(build_plan(catalog, date=DATE))
    everything = plan["everything"]
    assert [(s.name, s.image) for s in everything.steps] == [
        ("everything-layer-ml", everything.image + "-layer-ml"),
        ("everything-layer-julia", everything.image + "-layer-julia"),
        ("everything", everything.image),
    ]
    assert plan["python-sql"].steps[0].image == plan["python-sql"].image + "-layer-base"
    finals = [s for b in plan.values() for s in b.steps if s.final]
    assert [s.image for s in finals] == [b.image for b in plan.values()]


DROPPED = "@jupyter-ai/acp-client jupysql-plugin"
LAYERS = {
    # profile: (HUBKIT_ENV, PREFIX, MODE, FILES, DROP, RUNTIME) per layer, in build order
    "python-sql": [("sql", "/opt/envs/python", "create", "python sql", DROPPED, "conda")],
    "r": [("r", "/opt/envs/r", "create", "", "", "conda")],
    "julia": [("julia", "/opt/envs/julia", "create", "", "", "julia")],
    "ml": [("ml", "/opt/envs/python", "update", "python sql", DROPPED, "conda")],
    "everything": [
        ("ml", "/opt/envs/python", "update", "python sql", DROPPED, "conda"),
        ("julia", "/opt/envs/julia", "create", "", "", "julia"),
    ],
}


@pytest.mark.parametrize("slug", list(LAYERS))
def test_one_layer_per_added_environment_with_its_catalog_arguments(catalog, slug):
    build = by_slug(build_plan(catalog, date=DATE))[slug]
    layers = [s for s in build.steps if s.dockerfile == catalog.root / LAYER_DOCKERFILE]
    names = ("HUBKIT_ENV", "PREFIX", "MODE", "FILES", "DROP", "RUNTIME")
    assert [tuple(s.build_args[n] for n in names) for s in layers] == LAYERS[slug]
    assert [s.install for s in layers] == list(build.installs)


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
    catalog = edited_catalog(
        repo_copy, lambda d: d["environments"]["r"].update(platforms=["linux-64"])
    )
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


def test_a_change_to_a_package_source_rebuilds_the_images_that_carry_it(repo_copy, tmp_path):
    # Given the images recorded as built, with the current digests, and present in the engine
    catalog = load_catalog(repo_copy / "catalog.yaml")
    plan = build_plan(catalog, date=DATE)
    images_file = tmp_path / "images.json"
    images_file.write_text(json.dumps({b.slug: b.image for b in plan}))
    engine = FakeEngine()
    engine.present = {b.image for b in plan}
    assert missing_images(engine, plan, images_file, "linux/amd64") == []
    # When a build output of the JupyterLab extension changes, nothing is rebuilt
    built = repo_copy / "packages/hubkit-lab/lib/index.js"
    built.parent.mkdir(parents=True, exist_ok=True)
    built.write_text("// built\n")
    assert missing_images(engine, build_plan(catalog, date=DATE), images_file, "linux/amd64") == []
    # When its TypeScript source changes
    source = repo_copy / "packages/hubkit-lab/src/index.ts"
    source.write_text(source.read_text() + "\n// changed\n")
    # Then every image with the python prefix (all of them) must be built again
    assert missing_images(engine, build_plan(catalog, date=DATE), images_file, "linux/amd64") == [
        b.slug for b in plan if "linux/amd64" in b.platforms
    ]


def test_bake_file_links_children_to_their_parent_target(catalog):
    plan = build_plan(catalog, date=DATE)
    bake = bake_file(plan)
    targets = bake["target"]
    assert bake["group"]["default"]["targets"] == [b.slug for b in plan]
    builds = by_slug(plan)
    layer, r = targets["r-layer-r"], targets["r"]
    assert layer["contexts"] == {builds["python-sql"].image: "target:python-sql"}
    assert layer["dockerfile"] == "images/layer/Dockerfile"
    assert layer["args"]["HUBKIT_ENV"] == "r"
    assert r["contexts"] == {builds["r"].image + "-layer-r": "target:r-layer-r"}
    assert r["dockerfile"] == "images/profile/Dockerfile"
    assert r["platforms"] == ["linux/amd64", "linux/arm64"]
    assert "contexts" not in targets["python-sql-layer-base"]
    assert targets["python-sql-layer-base"]["dockerfile"] == "images/base/Dockerfile"
    assert r["tags"] == [builds["r"].image]
    pushed = bake_file(plan, push=True)["target"]
    assert pushed["r"]["output"] == ["type=registry"] and "output" not in pushed["r-layer-r"]


# --- The Dockerfiles do what the plan says ---------------------------------------------------

# Set by BuildKit, or by the engine with the `extra-ca` secret (its digest: a cache key only).
AUTOMATIC = {"TARGETARCH", "TARGETPLATFORM", "TARGETOS", "BUILDPLATFORM", "EXTRA_CA_DIGEST"}


def steps(catalog):
    return [step for build in build_plan(catalog, date=DATE) for step in build.steps]


def test_only_generic_dockerfiles_build_the_single_user_images(catalog):
    used = {s.dockerfile.relative_to(catalog.root).as_posix() for s in steps(catalog)}
    assert used == {ROOT_DOCKERFILE, LAYER_DOCKERFILE, PROFILE_DOCKERFILE}


# Arguments only the PyPI flavour passes (the Dockerfiles default to conda).
PYPI_ONLY = {"FLAVOUR", "REQUIREMENTS"}


@pytest.mark.parametrize("flavour", ["conda", "pypi"])
def test_dockerfiles_consume_every_arg_the_plan_passes(catalog, flavour):
    plan = build_plan(catalog, date=DATE, flavour=flavour)
    for step in [step for build in plan for step in build.steps]:
        text = step.dockerfile.read_text()
        assert text.startswith("# Copyright (c) hubkit contributors.")
        declared = dict(re.findall(r"^ARG (\w+)(?:=(\S+))?", text, re.M))
        declared = {k: v for k, v in declared.items() if k not in AUTOMATIC}
        where = f"{step.name} ({step.dockerfile.relative_to(catalog.root)})"
        if flavour == "conda":
            assert set(declared) - PYPI_ONLY == set(step.build_args), where
            declared = {k: v for k, v in declared.items() if k not in PYPI_ONLY}
        else:
            assert set(declared) == set(step.build_args), where
        for name in declared:
            assert "${" + name + "}" in text, f"{where}: ARG {name} is never used"
        for name, value in (("ROOT_IMAGE", ROOT_IMAGE), ("MICROMAMBA_IMAGE", MICROMAMBA_IMAGE)):
            if declared.get(name):
                assert declared[name] == value == step.build_args[name]


def layer_text(catalog) -> str:
    return (catalog.root / LAYER_DOCKERFILE).read_text()


def install_script(catalog) -> str:
    return (catalog.root / "images/layer/hubkit-install-lock").read_text()


def test_layer_installs_the_rendered_lock_of_its_environment(catalog):
    text = layer_text(catalog)
    assert "COPY images/layer/hubkit-install-lock /usr/local/bin/hubkit-install-lock" in text
    assert '"/tmp/envs/${HUBKIT_ENV}/conda-lock.yml" /spec' in text
    assert re.search(r'hubkit-install-lock --mode "\$\{MODE\}" --prefix "\$\{PREFIX\}"', text)
    assert '--drop "${DROP}"' in text and '--arch "${TARGETARCH}"' in text
    # Nothing is solved: only explicit lists go to micromamba, in the install script.
    for recipe in (text, (catalog.root / ROOT_DOCKERFILE).read_text()):
        assert "micromamba install" not in recipe and "micromamba create" not in recipe
        assert "conda install" not in recipe and "mamba install" not in recipe
    script = install_script(catalog)
    assert 'micromamba create --yes --prefix "${prefix}" --file "${spec}/conda.txt"' in script
    assert 'micromamba install --yes --prefix "${prefix}" --file "${spec}/conda.txt"' in script


def test_python_prefix_layers_copy_etc_share_and_drop_unused_plugins(catalog):
    # The plan names the python and sql folders and the dropped plugins for every layer into
    # the python prefix (their folders turn the plugins' server extensions off) ...
    for step in steps(catalog):
        if step.install and step.install.prefix == "/opt/envs/python":
            assert step.build_args["FILES"].split() == ["python", "sql"], step.name
            assert step.build_args["DROP"] == DROPPED, step.name
            # and the project's packages the python environment carries, built into wheels
            assert step.build_args["PACKAGES"].split() == ["hubkit-lab", "hubkit-kernel"]
        elif step.install:
            assert step.build_args["PACKAGES"] == "", step.name
    assert (catalog.root / "envs/python/etc").is_dir()
    assert (catalog.root / "envs/python/share").is_dir()
    # ... and the layer hands those folders, numbered root first, to the install script
    # (tests/images/test_in_build.py runs it), which finishes the prefix as local mode does.
    text = layer_text(catalog)
    assert 'cp -a "/tmp/envs/${env}" "/spec/files/${i}-${env}"' in text
    assert "COPY src/hubkit/prefix.py /usr/local/bin/hubkit-finish-prefix" in text


def test_julia_packages_come_from_the_manifest_into_the_prefix_depot(catalog):
    text = layer_text(catalog)
    assert "for file in Project.toml Manifest.toml; do" in text
    assert "FROM runtime-${RUNTIME} AS layer" in text
    julia_stage = text.split("AS runtime-julia", 1)[1].split("\nFROM ", 1)[0]
    assert "JULIA_DEPOT_PATH=/home/jovyan/.julia:${PREFIX}/depot" in julia_stage
    assert "JULIA_LOAD_PATH=@:@v#.#:${PREFIX}/project:@stdlib" in julia_stage
    script = install_script(catalog)
    assert 'if [ -f "${spec}/Project.toml" ]; then' in script
    assert "Pkg.instantiate()" in script and "Pkg.precompile()" in script
    assert 'JULIA_DEPOT_PATH="${prefix}/depot"' in script
    assert "JULIA_CPU_TARGET=" in script and "amd64)" in script and "arm64)" in script
    assert "Pkg.add" not in script  # never a fresh resolve in the image


def test_every_profile_has_an_image_folder_with_readme_and_no_dockerfile_of_its_own(catalog):
    for slug in catalog.profiles:
        folder = catalog.root / "images" / slug
        assert (folder / "README.md").is_file(), slug
        if catalog.profiles[slug].parent:
            assert not (folder / "Dockerfile").exists(), f"{slug}: use images/layer instead"
    assert (catalog.root / "images/hub/Dockerfile").is_file()


def test_a_new_environment_needs_a_folder_and_a_catalog_entry_not_a_dockerfile(repo_copy):
    # Given a new language: one envs/<name>/ folder, one environment and one profile
    dockerfiles = sorted(repo_copy.glob("images/**/Dockerfile"))
    (repo_copy / "envs/rust").mkdir()
    (repo_copy / "envs/rust/environment.yml").write_text(
        "channels: [conda-forge]\ndependencies:\n  - rust\n  - evcxr_jupyter\n"
    )
    path = repo_copy / "catalog.yaml"
    data = yaml.safe_load(path.read_text())
    data["environments"]["rust"] = {
        "description": "Rust with the evcxr kernel.",
        "prefix": "/opt/envs/rust",
        "kernels": [
            {
                "name": "rust",
                "display_name": "Rust",
                "language": "rust",
                "argv": ["{prefix}/bin/evcxr_jupyter", "--control_file", "{connection_file}"],
            }
        ],
        "local": {"from": "system", "command": "evcxr_jupyter"},
    }
    data["profiles"].append(
        {
            "slug": "rust",
            "display_name": "Python, SQL & Rust",
            "description": "Adds Rust.",
            "parent": "python-sql",
            "environments": ["rust"],
        }
    )
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    catalog = load_catalog(path)
    # When
    plan = by_slug(build_plan(catalog, date=DATE))
    # Then it is built FROM python-sql with the generic layer and profile steps
    rust = plan["rust"]
    assert rust.base_image == plan["python-sql"].image
    assert [s.dockerfile.relative_to(repo_copy).as_posix() for s in rust.steps] == [
        LAYER_DOCKERFILE,
        PROFILE_DOCKERFILE,
    ]
    layer = rust.steps[0].build_args
    assert layer["BASE_IMAGE"] == plan["python-sql"].image
    assert (layer["HUBKIT_ENV"], layer["PREFIX"], layer["MODE"]) == (
        "rust",
        "/opt/envs/rust",
        "create",
    )
    assert (layer["FILES"], layer["DROP"], layer["RUNTIME"]) == ("", "", "conda")
    assert rust.steps[-1].build_args["HUBKIT_PROFILE"] == "rust"
    assert [p.relative_to(repo_copy).as_posix() for p in rust.missing_locks] == [
        "envs/rust/conda-lock.yml"
    ]
    assert "rust" in bake_file(list(plan.values()))["target"]
    assert sorted(repo_copy.glob("images/**/Dockerfile")) == dockerfiles
