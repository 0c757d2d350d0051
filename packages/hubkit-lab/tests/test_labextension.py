"""Tests for the installed prebuilt extension, as `jupyter labextension list` reports it."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def test_the_extension_is_enabled_and_no_extension_is_incompatible(tmp_path: Path) -> None:
    # Given this environment with hubkit_lab installed
    # When JupyterLab lists its extensions
    listing = subprocess.run(
        [Path(sys.executable).parent / "jupyter", "labextension", "list"],
        capture_output=True,
        text=True,
        check=True,
        env={"HOME": str(tmp_path), "PATH": str(Path(sys.executable).parent)},
    )
    output = ANSI.sub("", listing.stdout + listing.stderr)
    # Then @hubkit/lab is there, enabled and OK, installed by the Python package
    assert re.search(r"^\s+@hubkit/lab v0\.1\.0 enabled OK \(python, hubkit_lab\)$", output, re.M)
    # And no extension is reported incompatible with this JupyterLab
    assert "incompatible" not in output, output
    assert not re.search(r"\b(enabled|disabled)\s+X\b", output), output


def test_the_installed_bundle_is_a_prebuilt_extension(prefix: Path) -> None:
    # Given the installed files of @hubkit/lab
    folder = prefix / "share/jupyter/labextensions/@hubkit/lab"
    # When JupyterLab reads its package.json
    package = json.loads((folder / "package.json").read_text())
    # Then it loads a remoteEntry that is there, with its plugin and style
    build = package["jupyterlab"]["_build"]
    assert (folder / build["load"]).is_file()
    assert build["extension"] == "./extension" and build["style"] == "./style"
    # And the server extension is turned on by the installed config
    config = prefix / "etc/jupyter/jupyter_server_config.d/hubkit_lab.json"
    assert json.loads(config.read_text()) == {
        "ServerApp": {"jpserver_extensions": {"hubkit_lab": True}}
    }
