"""What a user's server needs to use the AI gateway: set by the spawner at each start.

LiteLLM (inside jupyter-ai's chat and `%%ai`) reads the vendors' base URLs and keys from the
environment, so the server is pointed at the gateway with the user's own hub credential (the
server's JUPYTERHUB_API_TOKEN, which the hub gives the scope to use the gateway) as the "key".
The admin's keys stay in the gateway's process.

With the gateway off (HUBKIT_AI=false), servers start without jupyter-ai instead of with a chat
that cannot answer: the python environment's config folder etc/hubkit/ai-off (the one list of
what to switch off) goes first in JUPYTER_CONFIG_PATH.
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import posixpath

from traitlets import HasTraits, List, Unicode

SERVICE = "ai-gateway"
# What a server's token needs to use the gateway (JupyterHub's access scope for a service).
ACCESS_SCOPE = f"access:services!service={SERVICE}"
# The Jupyter config folder in the server's prefix (envs/python/etc/hubkit/ai-off) that turns
# jupyter-ai's server and lab extensions and JupyterLab's AI actions off.
AI_OFF_CONFIG = "etc/hubkit/ai-off"


class AIAssistMixin(HasTraits):
    ai_gateway_url = Unicode(
        "",
        help="""Base URL of the AI gateway service as users' servers reach it (e.g.
        http://hub:8082/services/ai-gateway). Empty: servers are not configured for AI
        assistance. hub/jupyterhub_config.py sets it when the gateway runs (HUBKIT_AI).""",
    ).tag(config=True)

    ai_default_model = Unicode(
        "",
        help="""The chat's default model (a LiteLLM name such as anthropic/claude-sonnet-4-5):
        the hub policy's `ai.default_model`.""",
    ).tag(config=True)

    ai_models = List(
        Unicode(),
        help="""The models users may pick in Jupyternaut's chat (LiteLLM names): the hub
        policy's `ai.models`. Given to the server as JupyternautExtension.allowed_models, which
        hubkit-lab's server extension makes the chat's model picker honour. Empty: every model
        LiteLLM knows is listed.""",
    ).tag(config=True)

    def ai_environment(self, token: str) -> dict[str, str]:
        """LiteLLM's variables for the gateway, with the server's own hub token as the key,
        and the default model for JupyterLab's AI actions."""
        # LiteLLM fetches its price table from GitHub at every import (the server's start, a
        # kernel's %%ai), retrying for seconds offline; the copy in its package is enough.
        offline = {"LITELLM_LOCAL_MODEL_COST_MAP": "True"}
        if not self.ai_gateway_url:
            return offline
        base = self.ai_gateway_url.rstrip("/")
        model = {"HUBKIT_AI_MODEL": self.ai_default_model} if self.ai_default_model else {}
        return {
            **offline,
            **model,  # the model of JupyterLab's AI actions (hubkit_lab.ai)
            "ANTHROPIC_BASE_URL": f"{base}/anthropic",
            "ANTHROPIC_API_KEY": token,
            "OPENAI_BASE_URL": f"{base}/openai/v1",
            "OPENAI_API_KEY": token,
        }

    def ai_off_environment(self, server_prefix: str, config_path: str) -> dict[str, str]:
        """With the gateway off, JUPYTER_CONFIG_PATH with the ai-off folder first (the first
        entry wins over the prefix's own config): jupyter-ai's extensions (6.5 s of the
        server's start) and the AI actions are not loaded. `config_path`: the server's
        JUPYTER_CONFIG_PATH otherwise."""
        if self.ai_gateway_url:
            return {}
        folder = posixpath.join(server_prefix, AI_OFF_CONFIG)
        return {"JUPYTER_CONFIG_PATH": ":".join(p for p in (folder, config_path) if p)}

    def ai_args(self) -> list[str]:
        """Jupyternaut's default model and the models it lists (a list option is given as
        the option repeated)."""
        if not self.ai_gateway_url:
            return []
        args = [f"--JupyternautExtension.allowed_models={m}" for m in self.ai_models]
        if self.ai_default_model:
            args.append(f"--JupyternautExtension.initial_language_model={self.ai_default_model}")
        return args
