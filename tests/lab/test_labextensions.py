"""Tests for the extension set: installed, enabled, compatible with the pinned JupyterLab."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import re
import subprocess

import pytest

from .extension_set import EXTENSION_SET

pytestmark = pytest.mark.slow
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def test_labextension_list_reports_no_incompatible_or_disabled_extension(server_venvs):
    for venv in server_venvs:
        result = subprocess.run(
            [venv / "bin" / "jupyter", "labextension", "list"],
            capture_output=True,
            text=True,
            check=True,
        )
        listing = ANSI.sub("", result.stdout + result.stderr)
        extensions = {
            m.group(1): (m.group(2), m.group(3))
            for m in re.finditer(r"^\s+(\S+) v\S+ (enabled|disabled)\s+(OK|X)", listing, re.M)
        }
        assert "JupyterLab v4.6.6" in listing
        assert "incompatible" not in listing, listing
        bad = {name: state for name, state in extensions.items() if state != ("enabled", "OK")}
        assert not bad, f"{venv}: {bad}"
        missing = set(EXTENSION_SET) - set(extensions)
        assert not missing, f"{venv}: extension set incomplete, missing {missing}"


def test_python_language_server_and_formatter_are_installed(server_venvs):
    for venv in server_venvs:
        pylsp = subprocess.run(
            [venv / "bin" / "pylsp", "--version"], capture_output=True, text=True
        )
        assert pylsp.returncode == 0, pylsp.stderr
        ruff = subprocess.run(
            [venv / "bin" / "ruff", "format", "-"],
            input="x=( 1,2 )\n",
            capture_output=True,
            text=True,
        )
        assert ruff.stdout == "x = (1, 2)\n"
