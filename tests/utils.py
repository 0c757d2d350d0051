"""Helpers shared by the tests."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from hubkit.catalog import Catalog, load_catalog

from . import ROOT


def edit_yaml(source: Path, change: Callable[[dict[str, Any]], Any], target: Path) -> Path:
    """Write `source` parsed, changed by `change`, to `target`; returns `target`."""
    data = yaml.safe_load(source.read_text())
    change(data)
    target.write_text(yaml.safe_dump(data, sort_keys=False))
    return target


def edit_catalog(root: Path, change: Callable[[dict[str, Any]], Any]) -> Path:
    """Apply `change` to the parsed catalog.yaml in `root` and write it back; returns its path."""
    return edit_yaml(root / "catalog.yaml", change, root / "catalog.yaml")


def edited_catalog(root: Path, change: Callable[[dict[str, Any]], Any]) -> Catalog:
    return load_catalog(edit_catalog(root, change))


def load_hub_config(cwd: Path, script: str, **env: str) -> subprocess.CompletedProcess:
    """Load hub/jupyterhub_config.py as JupyterHub does, in a fresh Python, and run `script`
    (which finds the loaded config as `c`); the minimal production environment plus `env`."""
    loader = (
        "import json, sys\n"
        "from traitlets.config.loader import PyFileConfigLoader\n"
        "c = PyFileConfigLoader('jupyterhub_config.py', path=sys.argv[1]).load_config()\n"
    )
    base = {
        "PATH": os.environ["PATH"],
        "HUBKIT_SPAWNER": "docker",
        "JUPYTER_ADMIN_USER": "admin",
        "JUPYTER_PASSWORD": "test-admin-password-1",
        "CONFIGPROXY_AUTH_TOKEN": "t" * 64,
        "HUBKIT_PROXY_EXTERNAL": "true",
        "HUBKIT_HUB_HOST": "hub",
        "HUBKIT_DOCKER_NETWORK": "hubkit",
    }
    return subprocess.run(
        [sys.executable, "-c", loader + script, str(ROOT / "hub")],
        cwd=cwd,
        env={**base, **env},
        capture_output=True,
        text=True,
    )


def run_nbval(
    notebook: Path, kernel: str, jupyter_path: Path, cwd: Path, **env: str
) -> subprocess.CompletedProcess:
    """Run a notebook's cells in order with nbval (`--nbval-lax`) in the given kernel, as the
    image workflow does; `jupyter_path` holds the profile's kernelspecs."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--nbval-lax",
            f"--nbval-kernel-name={kernel}",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:randomly",  # a notebook's cells run in order
            "-q",
            "--rootdir",
            str(cwd),
            str(notebook),
        ],
        cwd=cwd,
        env={**os.environ, "JUPYTER_PATH": str(jupyter_path), **env},
        capture_output=True,
        text=True,
        timeout=600,
    )
