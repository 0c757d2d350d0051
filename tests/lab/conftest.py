"""Fixtures for the JupyterLab tests.

- server_venvs: the venvs that run JupyterLab for the locally available profiles.
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

import pytest


@pytest.fixture(scope="module")
def server_venvs(catalog, layout, available_profiles):
    return sorted({layout.server_venv(catalog, slug) for slug in available_profiles})
