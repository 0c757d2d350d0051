"""Display names' bounds (hubkit.hub.display_names): what a signup or the display-name page
accepts, and how it is stored. The pages themselves: tests/hub/test_sharing.py."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import pytest

from hubkit.hub.display_names import (
    MAX_DISPLAY_NAME_CHARS,
    clean,
    display_name_problem,
    user_info,
)


@pytest.mark.parametrize("name", ["", "Ada Lovelace", "李小龍", "O'Brien <b>", "x" * 64])
def test_names_people_use_are_accepted(name):
    assert display_name_problem(name) is None


def test_too_long_names_are_refused_saying_the_bound():
    assert display_name_problem("x" * 65) == (
        f"Display names have at most {MAX_DISPLAY_NAME_CHARS} characters; this one has 65."
    )
    # Spaces around and between words do not count: they are not stored
    assert display_name_problem("  " + "x" * 64 + "  ") is None
    assert clean("  Ada \t  Lovelace ") == "Ada Lovelace"


@pytest.mark.parametrize("name", ["Ada\nLovelace", "Ada\x00", "Ada\u200b"])
def test_control_and_invisible_characters_are_refused(name):
    assert "control or invisible" in display_name_problem(name)


def test_the_hub_hands_the_name_to_servers_in_user_info():
    assert user_info("Ada Lovelace") == {"name": "Ada Lovelace", "display_name": "Ada Lovelace"}
    assert user_info("") == {}
