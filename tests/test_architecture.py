"""Tests for the architecture: the import contracts in pyproject.toml ([tool.importlinter])."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests import ROOT


def test_imports_go_one_way():
    # Given the contracts: commands on top, hub and images apart, the catalog beneath them
    # When import-linter checks the package's imports
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True)
    # Then every contract is kept
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    assert "0 broken" in result.stdout
