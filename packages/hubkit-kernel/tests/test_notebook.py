"""Tests that a notebook of SQL cells runs under nbval (`pytest --nbval`) in a real kernel."""

# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
NOTEBOOK = Path(__file__).parent / "notebooks" / "sql_cells.ipynb"


def test_notebook_runs_under_nbval(tmp_path):
    pytest.importorskip("nbval")
    env = {**os.environ, "HUBKIT_CONNECTIONS_FILE": str(tmp_path / "connections.json")}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval", "--noconftest", "-p", "no:cacheprovider",
         "-q", str(NOTEBOOK)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "passed" in done.stdout


def test_failing_sql_cell_fails_nbconvert_execute(tmp_path):
    import nbformat

    # Given: a notebook whose SQL cell fails, not marked as expected to fail
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nb.cells = [
        nbformat.v4.new_code_cell("%reload_ext hubkit_kernel"),
        nbformat.v4.new_code_cell("%%sql_cell\nSELECT * FROM no_such_table"),
        nbformat.v4.new_code_cell("print('not reached')"),
    ]
    path = tmp_path / "failing.ipynb"
    nbformat.write(nb, path)
    # When
    done = subprocess.run(
        [sys.executable, "-m", "jupyter", "nbconvert", "--execute", "--to", "notebook",
         "--output", str(tmp_path / "out.ipynb"), str(path)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    # Then
    assert done.returncode != 0
    assert "no_such_table" in done.stderr
    assert "UsageError" in done.stderr
