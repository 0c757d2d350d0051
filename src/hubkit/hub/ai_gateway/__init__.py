"""The hub's AI gateway: a JupyterHub service that forwards users' Anthropic and OpenAI requests
with the admin's keys, within the limits of the hub policy, and records usage (no contents).

- gateway: the service (run as `python -m hubkit.hub.ai_gateway`).
- prices: genai-prices' maintained price table.
- store: usage per user and month (SQLAlchemy), read by the usage page and /hub/metrics.
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.
