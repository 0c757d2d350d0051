"""Tests that every library of the Python-side specs imports in each profile's real kernel, in
local mode (issue 16). The lists below are the libraries a user imports, by spec name; a spec
line that is neither here nor a known server/tool package fails the listing test, so a library
added to a spec must be listed (and so imported) here."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import json

import pytest
from jupyter_client.manager import start_new_kernel

from hubkit.catalog import load_catalog
from hubkit.envs.spec import load_spec
from hubkit.local import profile_status

from .. import ROOT

# Spec name -> the module a user imports, per environment.
IMPORTS = {
    "python": {
        "numpy": "numpy",
        "pandas": "pandas",
        "scipy": "scipy",
        "matplotlib-base": "matplotlib.pyplot",
        "seaborn": "seaborn",
        "plotly": "plotly.express",
        "bokeh": "bokeh.plotting",
        "altair": "altair",
        "scikit-learn": "sklearn",
        "statsmodels": "statsmodels.api",
        "sympy": "sympy",
        "numba": "numba",
        "pyarrow": "pyarrow",
        "polars": "polars",
        "dask": "dask.dataframe",
        "xarray": "xarray",
        "networkx": "networkx",
        "h5py": "h5py",
        "numexpr": "numexpr",
        "bottleneck": "bottleneck",
        "patsy": "patsy",
        "cython": "Cython",
        "cloudpickle": "cloudpickle",
        "dill": "dill",
        "requests": "requests",
        "beautifulsoup4": "bs4",
        "openpyxl": "openpyxl",
        "xlrd": "xlrd",
        "tqdm": "tqdm",
        "ipywidgets": "ipywidgets",
        "ipympl": "ipympl",
        "widgetsnbextension": "widgetsnbextension",
        "scikit-image": "skimage",
        "pytables": "tables",
        "protobuf": "google.protobuf",
        "lxml": "lxml.html",
        "html5lib": "html5lib",
        "nltk": "nltk",
        "python-graphviz": "graphviz",
        "vega_datasets": "vega_datasets",
        "shapely": "shapely",
        "pyproj": "pyproj",
        "geopandas": "geopandas",
        "pyogrio": "pyogrio",
        "pandas-datareader": "pandas_datareader",
        "memory_profiler": "memory_profiler",
        "line_profiler": "line_profiler",
        "itables": "itables",
        "pytest": "pytest",
        "nbval": "nbval",
    },
    "sql": {
        "sqlalchemy": "sqlalchemy",
        "sqlglot": "sqlglot",
        "psycopg": "psycopg",
        "mysqlclient": "MySQLdb",
        "pymysql": "pymysql",
        "python-duckdb": "duckdb",
        "duckdb-engine": "duckdb_engine",
        "connectorx": "connectorx",
        "adbc-driver-sqlite": "adbc_driver_sqlite.dbapi",
        "adbc-driver-postgresql": "adbc_driver_postgresql.dbapi",
        "jupysql": "sql",
        "toml": "toml",
    },
    "ml": {
        "pytorch": "torch",
        "torchvision": "torchvision",
        "tensorflow": "tensorflow",
        "keras": "keras",
        "tensorboard": "tensorboard",
        "tensorflow-datasets": "tensorflow_datasets",
        "tensorflow-hub": "tensorflow_hub",
        "transformers": "transformers",
        "datasets": "datasets",
        "gymnasium": "gymnasium",
    },
}
# Spec lines that are not libraries to import: the interpreter and installer, the server and
# its extensions, tools the server runs, and system programs (graphviz's `dot`, BLAS), which
# the kernel check below exercises through their Python users.
NOT_IMPORTED = {
    "python",
    "pip",
    "blas",
    "graphviz",
    "nb_conda_kernels",
    "jupyterhub-singleuser",
    "jupyterlab",
    "ipykernel",
    "rfc3987",
    "jupyter-collaboration",
    "jupyter-ai",
    "jupyterlab-git",
    "jupyterlab-lsp",
    "python-lsp-server",
    "python-lsp-ruff",
    "jupyterlab-code-formatter",
    "ruff",
    "jupyter-resource-usage",
    "jupyterlab_execute_time",
    "jupyter-scheduler",
    "variable-inspector",
}
# Run in the kernel: import every module, then check the system programs behind them.
CHECK = """
import importlib, json
failed = {}
for name in %s:
    try:
        importlib.import_module(name)
    except Exception as e:
        failed[name] = f"{type(e).__name__}: {e}"
try:
    import graphviz
    graphviz.version()  # runs `dot -V`
except Exception as e:
    failed["dot"] = f"{type(e).__name__}: {e}"
print(json.dumps(failed))
"""


def python_profiles() -> list:
    """One case per distinct set of Python environments (python-sql, ml), in catalog order."""
    catalog = load_catalog(ROOT / "catalog.yaml")
    cases, seen = [], set()
    for slug in catalog.profiles:
        envs = tuple(e.name for e in catalog.profile_environments(slug) if e.name in IMPORTS)
        if envs and envs not in seen:
            seen.add(envs)
            cases.append(pytest.param(slug, envs, id=slug))
    return cases


@pytest.mark.parametrize("env", sorted(IMPORTS))
def test_every_library_of_a_spec_is_listed(catalog, env):
    spec = load_spec(catalog.environments[env].spec_file)
    unlisted = sorted(
        r.name for r in spec.requirements if r.name not in IMPORTS[env].keys() | NOT_IMPORTED
    )
    assert not unlisted, f"{env}: add these to IMPORTS in {__file__}: {', '.join(unlisted)}"
    stale = sorted(set(IMPORTS[env]) - {r.name for r in spec.requirements})
    assert not stale, f"{env}: listed but no longer in {spec.path}: {', '.join(stale)}"


@pytest.mark.slow
@pytest.mark.parametrize("profile, envs", python_profiles())
def test_every_library_imports_in_the_profile_kernel(
    profile, envs, catalog, layout, available_profiles, monkeypatch
):
    if profile not in available_profiles:
        reasons = [s.reason for s in profile_status(catalog, layout, profile).values() if s.reason]
        pytest.skip(f"profile {profile} is not installed locally: {'; '.join(reasons)}")
    # Given the profile's own Python kernel (its kernelspec, as the server offers it)
    monkeypatch.setenv("JUPYTER_PATH", str(layout.profile_dir(profile) / "share" / "jupyter"))
    modules = [module for env in envs for module in IMPORTS[env].values()]
    km, kc = start_new_kernel(kernel_name="python3", startup_timeout=120)
    try:
        # When it imports every library of the profile's specs
        out: list[str] = []
        reply = kc.execute_interactive(
            CHECK % json.dumps(modules),
            timeout=600,
            output_hook=lambda msg: out.append(msg["content"].get("text", "")),
        )
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    # Then none fails
    assert reply["content"]["status"] == "ok", reply["content"]
    failed = json.loads("".join(out).strip().splitlines()[-1])
    assert failed == {}, failed
