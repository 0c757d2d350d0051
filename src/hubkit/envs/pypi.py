"""Translate a chain of conda specs into pip requirements for local mode.

Written here because no maintained library maps conda-forge names to PyPI names offline
(pixi and grayskull use an online mapping); the few names that differ in our specs are below,
and a test fails when a spec names a package this table does not know how to translate.
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from .spec import Requirement, Spec, SpecError

# conda-forge name -> PyPI name, where they differ.
CONDA_TO_PYPI = {
    "jupyterhub-singleuser": "jupyterhub",
    "matplotlib-base": "matplotlib",
    "python-duckdb": "duckdb",
    "python-graphviz": "graphviz",
    "pytables": "tables",
    "pytorch": "torch",
}
# Conda packages with no PyPI counterpart: the interpreter, the installer, conda's own tools,
# and system libraries and programs PyPI does not ship (local mode and the PyPI image flavour take
# Debian's: graphviz's `dot`; BLAS is bundled in numpy's and scipy's wheels).
CONDA_ONLY = {"python", "pip", "nb_conda_kernels", "blas", "graphviz"}


def pip_specifier(version: str | None) -> str:
    """A conda version spec ("==1.2", ">=2,<3", "4.4.*") as a PEP 440 specifier."""
    if not version:
        return ""
    parts = []
    for part in version.split(","):
        part = part.strip()
        if "|" in part:
            raise ValueError(f"alternatives ('|') have no pip equivalent: {version!r}")
        parts.append(part if part[0] in "<>=!~" else f"=={part}")
    spec = ",".join(parts)
    SpecifierSet(spec)  # raises InvalidSpecifier
    return spec


def pip_requirement(req: Requirement) -> str | None:
    """The pip requirement string for one spec line, or None for conda-only packages."""
    if req.pip:
        return f"{req.name}{req.version or ''}"
    if req.name in CONDA_ONLY:
        return None
    return f"{CONDA_TO_PYPI.get(req.name, req.name)}{pip_specifier(req.version)}"


def pip_requirements(specs: list[Spec]) -> list[str]:
    """All pip requirements for a prefix made of these specs (root first)."""
    out = []
    for spec in specs:
        for i, req in enumerate(spec.requirements):
            try:
                line = pip_requirement(req)
            except (ValueError, InvalidSpecifier) as e:
                raise SpecError(spec.path, f"dependencies ({req.name}) #{i}", str(e)) from e
            if line:
                out.append(line)
    return out
