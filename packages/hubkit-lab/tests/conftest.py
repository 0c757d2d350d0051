"""Fixtures for hubkit_lab's tests.

Run with the Python of an environment that has jupyter_server, jupyterlab, pytest and hubkit_lab
installed (local mode's server venv): `.hubkit/envs/sql/bin/python -m pytest
packages/hubkit-lab/tests`.
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import sys
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def prefix() -> Path:
    """The environment the tests run in, whose server is tested."""
    return Path(sys.prefix)
