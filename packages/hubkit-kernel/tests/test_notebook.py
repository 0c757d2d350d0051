"""Tests that a notebook of SQL cells runs headless: under nbval (`pytest --nbval`) in a real
kernel, and under nbconvert and papermill in a fresh virtualenv where only hubkit-kernel is
installed (no environment config, no `%load_ext`)."""

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
PACKAGE = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def bare_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new virtualenv with hubkit-kernel (from this checkout), ipykernel, nbconvert and
    papermill installed by pip, and nothing of the project's environments."""
    venv = tmp_path_factory.mktemp("bare") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    done = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(PACKAGE),
         "ipykernel", "nbconvert", "papermill==2.7.0"],
        capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return venv


def _sql_notebook(path: Path) -> None:
    """A notebook as JupyterLab saves SQL cells: a parameters cell, a DataFrame, a SQL cell
    (the magic line and its SQL, nothing loaded before it) and a cell using its result."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [
        nbformat.v4.new_code_cell("minimum = 50", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(
            "import pandas as pd\n"
            "orders = pd.DataFrame({'customer': ['ada', 'grace', 'ada'],"
            " 'amount': [120.5, 10.0, 300.0]})"
        ),
        nbformat.v4.new_code_cell(
            "%%sql_cell -c duckdb -o totals\n"
            "SELECT customer, sum(amount) AS total FROM orders\n"
            "WHERE amount > {{minimum}} GROUP BY customer ORDER BY customer"
        ),
        nbformat.v4.new_code_cell("print(totals.to_dict('list'))"),
    ]
    nbformat.write(nb, path)


def _printed(path: Path) -> str:
    import nbformat

    cell = nbformat.read(path, as_version=4).cells[-1]
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


def test_sql_cells_run_under_nbconvert_and_papermill_with_only_the_library(bare_venv, tmp_path):
    # Given: a notebook of SQL cells, and a clean environment for the tools
    _sql_notebook(tmp_path / "report.ipynb")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "IPYTHON"))}
    env.update(HOME=str(tmp_path), HUBKIT_CONNECTIONS_FILE=str(tmp_path / "connections.json"))
    bin_dir = bare_venv / "bin"
    # When: nbconvert executes it as saved
    converted = subprocess.run(
        [str(bin_dir / "jupyter"), "nbconvert", "--execute", "--to", "notebook",
         "--output", "converted.ipynb", "report.ipynb"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    # And papermill runs it with another parameter
    papermill = subprocess.run(
        [str(bin_dir / "papermill"), "report.ipynb", "papermill.ipynb", "-p", "minimum", "200"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    # Then: both ran the SQL cell, bound the parameter and used its result
    assert converted.returncode == 0, converted.stderr[-3000:]
    assert _printed(tmp_path / "converted.ipynb").strip() == (
        "{'customer': ['ada'], 'total': [420.5]}"
    )
    assert papermill.returncode == 0, papermill.stderr[-3000:]
    assert _printed(tmp_path / "papermill.ipynb").strip() == (
        "{'customer': ['ada'], 'total': [300.0]}"
    )
    # And the saved notebook is unchanged: the SQL cell's source is what JupyterLab stores
    import nbformat

    sql_cell = nbformat.read(tmp_path / "papermill.ipynb", as_version=4).cells[3]
    assert sql_cell.source.startswith("%%sql_cell -c duckdb -o totals\n")


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
