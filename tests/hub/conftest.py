"""Fixtures for the hub tests.

- hostile_cases: counts the hostile-input cases (`with hostile_cases.case(): ...`, one per
  request or Hypothesis example); the run's terminal summary says how many ran and passed.
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest


@dataclass
class CaseTally:
    ran: int = 0
    passed: int = 0

    @contextmanager
    def case(self) -> Iterator[None]:
        self.ran += 1
        yield
        self.passed += 1


TALLY = CaseTally()


@pytest.fixture(scope="session")
def hostile_cases() -> CaseTally:
    return TALLY


def pytest_terminal_summary(terminalreporter) -> None:
    if TALLY.ran:
        terminalreporter.write_sep(
            "-", f"hostile input: {TALLY.ran} cases ran, {TALLY.passed} passed"
        )
