"""Tests for the steps that run inside an image build: rendering a lock for one platform,
the static kernelspecs and the package manifest."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import yaml

from hubkit.images import explicit
from hubkit.images.finalize import finalize
from hubkit.images.finalize import main as finalize_main
from tests import ROOT

from .conftest import conda_pkg, lock_data

PIP = {
    "name": "variable-inspector",
    "version": "1.4.4",
    "manager": "pip",
    "platform": "linux-64",
    "url": "https://files.pythonhosted.org/packages/variable_inspector-1.4.4-py3-none-any.whl",
    "hash": {"sha256": "b" * 64},
    "optional": False,
}


def test_render_lists_exactly_the_platforms_packages_by_url_and_hash():
    lock = lock_data(
        [conda_pkg("python", "3.12.7"), conda_pkg("numpy", "2.3.1", "linux-aarch64"), PIP]
    )
    conda, pip = explicit.render(lock, "linux-64")
    lines = conda.splitlines()
    assert lines[1] == "@EXPLICIT"
    assert lines[2:] == [
        "https://conda.anaconda.org/conda-forge/linux-64/python-3.12.7-0.conda#" + "0" * 31 + "1"
    ]
    assert pip.splitlines()[1:] == [
        "variable-inspector @ https://files.pythonhosted.org/packages/"
        "variable_inspector-1.4.4-py3-none-any.whl --hash=sha256:" + "b" * 64
    ]


@pytest.mark.parametrize(
    "lock, match",
    [
        (lock_data([conda_pkg("python", "3.12.7")], ["linux-64"]), "not locked for linux-aarch64"),
        (lock_data([{**conda_pkg("r", "4.4", "linux-aarch64"), "hash": {}}]), "'r'.*no md5"),
        (lock_data([conda_pkg("python", "3.12.7")]), "no conda package locked for linux-aarch64"),
    ],
)
def test_render_refuses_a_lock_it_cannot_install(lock, match):
    with pytest.raises(explicit.LockError, match=match):
        explicit.render(lock, "linux-aarch64")


def test_main_maps_docker_arch_and_writes_both_lists(tmp_path, capsys):
    lock = tmp_path / "conda-lock.yml"
    lock.write_text(yaml.safe_dump(lock_data([conda_pkg("python", "3.12.7", "linux-aarch64")])))
    assert explicit.main(["--arch", "arm64", str(lock), str(tmp_path / "out")]) == 0
    assert "linux-aarch64/python" in (tmp_path / "out/conda.txt").read_text()
    assert explicit.main(["--arch", "riscv64", str(lock), str(tmp_path / "x")]) == 1
    assert "unsupported architecture 'riscv64'" in capsys.readouterr().err
    (tmp_path / "bad.yml").write_text("name: python\n")
    assert explicit.main(["--arch", "amd64", str(tmp_path / "bad.yml"), str(tmp_path / "y")]) == 1
    assert "not a conda-lock file" in capsys.readouterr().err


def fake_prefix(root, prefix, packages, pip=()):
    meta = root / prefix.lstrip("/") / "conda-meta"
    meta.mkdir(parents=True)
    for name, version in packages:
        (meta / f"{name}-{version}-0.json").write_text(
            json.dumps(
                {
                    "name": name,
                    "version": version,
                    "build": "h0_0",
                    "channel": "https://conda.anaconda.org/conda-forge/linux-64",
                }
            )
        )
    for name, version in pip:
        dist = (
            root / prefix.lstrip("/") / f"lib/python3.12/site-packages/{name}-{version}.dist-info"
        )
        dist.mkdir(parents=True)
        (dist / "INSTALLER").write_text("pip\n")
        (dist / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n\nbody"
        )


def test_finalize_writes_the_profiles_kernels_and_a_manifest(repo_copy, tmp_path):
    # Given an image's file system with the r profile's prefixes
    root = tmp_path / "image"
    fake_prefix(
        root,
        "/opt/envs/python",
        [("python", "3.12.7"), ("jupyterlab", "4.6.6")],
        pip=[("variable-inspector", "1.4.4")],
    )
    fake_prefix(root, "/opt/envs/r", [("r-base", "4.4.3")])
    out = root / "opt/hubkit"
    # When
    manifest = finalize(repo_copy / "catalog.yaml", "r", "hubkit/r-notebook:t", out, root)
    # Then
    kernels = out / "share/jupyter/kernels"
    assert sorted(p.name for p in kernels.iterdir()) == ["ir", "python3"]
    ir = json.loads((kernels / "ir/kernel.json").read_text())
    assert ir["argv"][0] == "/opt/envs/r/bin/R"
    config = json.loads((out / "etc/jupyter/jupyter_server_config.json").read_text())
    # Kernels users install for environments in their home stay visible in images.
    assert config["KernelSpecManager"] == {"ensure_native_kernel": False}
    assert config["MappingKernelManager"] == {"default_kernel_name": "python3"}
    written = json.loads((out / "manifest.json").read_text())
    assert written == manifest
    assert written["profile"] == "r" and written["image"] == "hubkit/r-notebook:t"
    python = written["prefixes"]["/opt/envs/python"]
    assert python["conda"]["jupyterlab"] == {
        "version": "4.6.6",
        "build": "h0_0",
        "channel": "linux-64",
    }
    assert python["pip"] == {"variable-inspector": {"version": "1.4.4"}}
    assert written["prefixes"]["/opt/envs/r"]["conda"]["r-base"]["version"] == "4.4.3"


def test_finalize_for_a_child_replaces_the_parents_kernels(repo_copy, tmp_path):
    root = tmp_path / "image"
    fake_prefix(root, "/opt/envs/python", [("python", "3.12.7")])
    fake_prefix(root, "/opt/envs/julia", [("julia", "1.11.5")])
    (root / "opt/envs/julia/project").mkdir(parents=True)
    (root / "opt/envs/julia/project/Manifest.toml").write_text(
        'julia_version = "1.11.5"\nmanifest_format = "2.0"\n\n'
        '[[deps.DataFrames]]\nuuid = "a93c6f00-e57d-5684-b7b6-d8193f3e46c0"\nversion = "1.7.0"\n'
    )
    out = root / "opt/hubkit"
    (out / "share/jupyter/kernels/ir").mkdir(parents=True)  # left by a parent image
    manifest = finalize(repo_copy / "catalog.yaml", "julia", "", out, root)
    assert sorted(p.name for p in (out / "share/jupyter/kernels").iterdir()) == ["julia", "python3"]
    assert manifest["julia"] == {"DataFrames": {"version": "1.7.0"}}


def test_finalize_cli_names_an_unknown_profile(repo_copy, tmp_path, capsys):
    code = finalize_main(
        [
            "--profile",
            "rust",
            "--catalog",
            str(repo_copy / "catalog.yaml"),
            "--out",
            str(tmp_path),
            "--root",
            str(tmp_path),
        ]
    )
    assert code == 1
    assert "unknown profile 'rust'" in capsys.readouterr().err


def test_finalize_imports_nothing_the_image_lacks():
    # The image's Python has PyYAML and jsonschema (JupyterLab deps), not py-rattler or traitlets
    # of the hub: finalize must not pull in the spec parser, the hub or the commands (the
    # standard-library hubkit.prefix is fine).
    import sys

    code = (
        "import sys; import hubkit.images.finalize; "
        "bad = [m for m in sys.modules if m.startswith(('rattler', 'hubkit.envs.spec', "
        "'hubkit.envs.pypi', 'hubkit.envs.lock', 'hubkit.hub', 'hubkit.commands', "
        "'jupyterhub', 'traitlets'))]; print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


# --- images/layer/hubkit-install-lock, run with stand-ins for micromamba and julia ------------

INSTALL_LOCK = ROOT / "images/layer/hubkit-install-lock"
FAKE_MICROMAMBA = """#!/usr/bin/env bash
# records its arguments; `create`/`install` make the prefix (a venv, for its python) and put
# the env's julia in it
echo "$*" >> "$FAKE_LOG"
if [ "$1" = create ] || [ "$1" = install ]; then
    "$FAKE_PYTHON" -m venv --without-pip "$4"
    mkdir -p "$4/share/jupyter/labextensions/jupysql-plugin"
    cp "$FAKE_JULIA" "$4/bin/julia"
fi
"""
FAKE_JULIA = """#!/usr/bin/env bash
echo "julia $* CPU=$JULIA_CPU_TARGET DEPOT=$JULIA_DEPOT_PATH PROJECT=$JULIA_PROJECT" >> "$FAKE_LOG"
mkdir -p "$JULIA_DEPOT_PATH/registries" "$JULIA_DEPOT_PATH/compiled"
"""


def run_install(tmp_path, spec, *args):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    finish = (ROOT / "src/hubkit/prefix.py").read_text()  # as images/layer copies it
    for name, text in (
        ("micromamba", FAKE_MICROMAMBA),
        ("julia", FAKE_JULIA),
        ("hubkit-finish-prefix", finish),
    ):
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    env = {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "FAKE_LOG": str(tmp_path / "log"),
        "FAKE_JULIA": str(bin_dir / "julia"),
        "FAKE_PYTHON": sys.executable,
    }
    result = subprocess.run(
        ["bash", str(INSTALL_LOCK), "--spec", str(spec), *args],
        capture_output=True,
        text=True,
        env=env,
    )
    log = (tmp_path / "log").read_text() if (tmp_path / "log").exists() else ""
    return result, log


def test_install_lock_copies_etc_share_drops_extensions_and_runs_post_install(tmp_path):
    # Given a spec folder as images/layer's spec stage makes it: two environment folders,
    # numbered root first, the second overriding a file of the first
    spec = tmp_path / "spec"
    python, sql = spec / "files/1-python", spec / "files/2-sql"
    (python / "etc/jupyter").mkdir(parents=True)
    (python / "etc/jupyter/jupyter_server_config.py").write_text("c = 0\n")
    (sql / "etc/jupyter").mkdir(parents=True)
    (sql / "etc/jupyter/jupyter_server_config.py").write_text("c = 1\n")
    (python / "etc/hubkit/post-install.d").mkdir(parents=True)
    (python / "etc/hubkit/post-install.d/mark.py").write_text(
        "import sys, pathlib; pathlib.Path(sys.prefix, 'marked').write_text(sys.prefix)\n"
    )
    (python / "share/jupyter/lab/settings").mkdir(parents=True)
    (python / "share/jupyter/lab/settings/overrides.json").write_text("{}\n")
    (spec / "conda.txt").write_text("# platform: linux-64\n@EXPLICIT\n")
    (spec / "pip.txt").write_text("# no pip packages\n")
    prefix = tmp_path / "opt/envs/python"
    result, log = run_install(
        tmp_path, spec, "--mode", "update", "--prefix", str(prefix), "--drop", "jupysql-plugin"
    )
    assert result.returncode == 0, result.stderr
    assert log.splitlines()[0] == f"install --yes --prefix {prefix} --file {spec}/conda.txt"
    assert (prefix / "etc/jupyter/jupyter_server_config.py").read_text() == "c = 1\n"
    assert (prefix / "share/jupyter/lab/settings").is_dir()
    assert not (prefix / "share/jupyter/labextensions/jupysql-plugin").exists()
    assert (prefix / "marked").read_text() == str(prefix)  # run with the prefix's python
    assert "julia" not in log and not (prefix / "project").exists()


def test_install_lock_instantiates_a_julia_project_into_the_prefix_depot(tmp_path):
    spec = tmp_path / "spec"
    spec.mkdir()
    (spec / "conda.txt").write_text("@EXPLICIT\n")
    (spec / "Project.toml").write_text('[deps]\nIJulia = "7073ff75-c697-5162-941a-fcdaad2a7d2a"\n')
    (spec / "Manifest.toml").write_text('manifest_format = "2.0"\n')
    prefix = tmp_path / "opt/envs/julia"
    args = ("--mode", "create", "--prefix", str(prefix), "--drop", "", "--arch", "arm64")
    result, log = run_install(tmp_path, spec, *args)
    assert result.returncode == 0, result.stderr
    julia = next(line for line in log.splitlines() if line.startswith("julia "))
    assert "Pkg.instantiate(); Pkg.precompile()" in julia
    assert "CPU=generic;cortex-a57;" in julia
    assert f"DEPOT={prefix}/depot PROJECT={prefix}/project" in julia
    assert (prefix / "project/Manifest.toml").is_file()
    assert not (prefix / "depot/registries").exists() and (prefix / "depot/compiled").is_dir()
    # a Project.toml without its Manifest stops the build
    (spec / "Manifest.toml").unlink()
    result, _ = run_install(tmp_path, spec, *args)
    assert result.returncode == 2 and "without Manifest.toml" in result.stderr
