"""Figures a test run prints at its end, which the issues quote: how many hostile-input cases
ran and passed (tests/hub/test_hostile_input.py counts them with `hostile_cases.case()`), and
how long the tests marked `docker` took.

Under pytest-xdist each worker counts its own tests; tests/conftest.py hands the counts to the
controller, which prints the sums.
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass
class CaseTally:
    ran: int = 0
    passed: int = 0

    @contextmanager
    def case(self) -> Iterator[None]:
        self.ran += 1
        yield
        self.passed += 1

    def add(self, counts: tuple[int, int]) -> None:
        self.ran += counts[0]
        self.passed += counts[1]


HOSTILE = CaseTally()


@dataclass
class TimeSpent:
    seconds: float = 0.0
    tests: int = 0


# Setup, call and teardown of the tests marked `docker` (image builds included)
DOCKER = TimeSpent()
