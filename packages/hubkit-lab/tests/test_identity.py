"""Initials and colours of people in a shared server (hubkit_lab.identity); the identity a
real hub gives: tests/hub/test_sharing.py."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import pytest

from hubkit_lab.identity import JUPYTERLAB_COLORS, color_for, initials


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Ada Lovelace", "AL"),
        ("ada", "A"),
        ("Ada King Lovelace", "AL"),
        ("李 小龍", "李小"),
        ("- Ada", "A"),
        ("", ""),
    ],
)
def test_initials_are_the_first_and_last_words_first_letters(name, expected):
    assert initials(name) == expected


def test_a_person_keeps_one_colour_and_people_get_different_ones():
    assert color_for("alice", JUPYTERLAB_COLORS) == color_for("alice", JUPYTERLAB_COLORS)
    names = [f"user{i}" for i in range(50)]
    assert {color_for(n, JUPYTERLAB_COLORS) for n in names} == set(JUPYTERLAB_COLORS)
