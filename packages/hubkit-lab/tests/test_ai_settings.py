"""Which model the AI actions ask, where, and with which credential (hubkit_lab.ai), and the
message a user reads when something is missing."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import pytest

from hubkit_lab.ai import AIError, code_of, model_settings

GATEWAY = {
    "ANTHROPIC_BASE_URL": "http://hub:8082/services/ai-gateway/anthropic",
    "ANTHROPIC_API_KEY": "hub-token",
    "OPENAI_BASE_URL": "http://hub:8082/services/ai-gateway/openai/v1",
    "OPENAI_API_KEY": "hub-token",
}


def test_the_gateway_the_spawner_set_is_asked_with_the_servers_token():
    claude = model_settings(GATEWAY, "anthropic/claude-sonnet-4-5")
    assert (claude["vendor"], claude["name"], claude["key"]) == (
        "anthropic",
        "claude-sonnet-4-5",
        "hub-token",
    )
    assert claude["base"] == GATEWAY["ANTHROPIC_BASE_URL"]
    gpt = model_settings(GATEWAY, "openai/gpt-4.1-mini")
    assert (gpt["vendor"], gpt["base"]) == ("openai", GATEWAY["OPENAI_BASE_URL"])
    # An own key without a base URL goes to the vendor itself
    own = model_settings({"OPENAI_API_KEY": "sk-own"}, "gpt-4.1-mini")
    assert own["base"] == "https://api.openai.com/v1"


@pytest.mark.parametrize(
    ("environ", "model", "status", "says"),
    [
        (GATEWAY, "", 503, "ai.default_model"),
        ({}, "anthropic/claude-sonnet-4-5", 503, "ANTHROPIC_API_KEY is not set"),
        (GATEWAY, "mistral/large", 400, "neither an Anthropic nor an OpenAI model"),
    ],
)
def test_what_is_missing_is_named(environ, model, status, says):
    with pytest.raises(AIError) as e:
        model_settings(environ, model)
    assert e.value.status == status and says in e.value.message


def test_the_code_of_an_answer_is_its_first_fenced_block():
    assert code_of("Why.\n```python\nx = 1\n```\nMore.") == ("x = 1", "Why.\n\nMore.")
    assert code_of("SELECT 1") == ("SELECT 1", "")
