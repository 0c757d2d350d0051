"""JupyterLab's AI actions: fix a failed cell, explain a cell, generate a cell from a sentence,
suggest analyses for a DataFrame. The browser sends the context here; this server asks the
model with its own credential, so no key ever reaches the browser.

The credential and addresses are the ones the hub's spawner set for LiteLLM
(hubkit.hub.ai_gateway.spawner): ANTHROPIC_BASE_URL/ANTHROPIC_API_KEY and
OPENAI_BASE_URL/OPENAI_API_KEY (the hub's AI gateway and the server's own hub token, or the
user's own key from ~/.env), and the admin's default model in HUBKIT_AI_MODEL (a LiteLLM name,
`anthropic/claude-sonnet-4-5`). One request per action, not streamed: the answer is shown
whole (a diff, a cell). It is made with httpx, as LiteLLM does, rather than with LiteLLM
itself: importing LiteLLM fetches its price table from the network first (40 s here, where that
is unreachable) and it rewrites the gateway's error messages into its own; the two wire formats
of one non-streamed request are a few lines.

    GET  /hubkit-lab/ai           {model}: the model used, or 503 naming what is missing
    POST /hubkit-lab/ai/fix       {source, error: {ename, evalue, traceback}}
                                  -> {source, explanation}
    POST /hubkit-lab/ai/explain   {source[, outputs]} -> {markdown}
    POST /hubkit-lab/ai/generate  {prompt[, context][, connection]} -> {source, language}
    POST /hubkit-lab/ai/analyses  {name, summary} -> {markdown}
    POST /hubkit-lab/ai/complete  {prefix, suffix[, language]} -> {completion}

Errors answer {"message"} with the gateway's own message (over budget, rate limited, model not
offered) and its status.
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from typing import Any

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join
from tornado import web

from .sql_handlers import ApiError, SqlHandler, _find, _is_duckdb_file, _sql

# How much of a traceback, a cell or the notebook around it is sent (characters)
MAX_CONTEXT = 6000
# The most tables and columns of a connection's schema sent with a SQL prompt
MAX_TABLES = 100
MAX_COLUMNS = 60
# Escape sequences of coloured tracebacks
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# The first fenced code block of an answer
FENCE = re.compile(r"```[\w+-]*[^\n]*\n(.*?)\n?```", re.DOTALL)
SQL_MAGIC = "%%sql_cell"
# The most tokens of an inline completion (a line or a few)
COMPLETION_TOKENS = 256

SYSTEM = (
    "You help a data scientist in a Jupyter notebook (Python kernel with pandas; SQL cells "
    "start with the line `%%sql_cell -c <connection> -o <variable>` followed by SQL). "
    "Be brief and exact."
)
PROMPTS = {
    "fix": (
        "This notebook cell failed. Answer with one short sentence saying what was wrong, "
        "then the whole corrected cell in one fenced code block. Change only what the fix "
        "needs and keep the cell's first line if it is a %%sql_cell line.\n\n"
        "The cell:\n```\n{source}\n```\n\nThe error:\n```\n{error}\n```"
    ),
    "explain": (
        "Explain what this notebook cell does, step by step, in a few short Markdown "
        "paragraphs or a list. Mention anything that looks wrong.\n\n"
        "The cell:\n```\n{source}\n```{outputs}"
    ),
    "generate": (
        "Write one notebook cell in {language} for this request. Answer with the code only, "
        "in one fenced code block, with short comments where they help.\n\n"
        "Request: {prompt}{schema}{context}"
    ),
    "complete": (
        "Complete the {language} code at <CURSOR>. Answer with only the text to insert there: "
        "no fences, no explanation, nothing that is already before or after the cursor; "
        "an empty answer if nothing fits.\n\n{prefix}<CURSOR>{suffix}"
    ),
    "analyses": (
        "Suggest 3 to 5 analyses of the DataFrame `{name}` from its schema and statistics "
        "below. For each: a short Markdown heading, one sentence on why it is worth doing, "
        "and a short Python code block using the variable `{name}`.\n\n"
        "```json\n{summary}\n```"
    ),
}


class AIError(ApiError):
    """An answer other than 200 about the model: the gateway's or the vendor's message."""


def _vendor(model: str) -> tuple[str, str]:
    """(vendor, the vendor's model id) of a LiteLLM model name."""
    vendor, _, name = model.partition("/")
    if not name:  # a bare name: LiteLLM's own guess
        vendor, name = ("anthropic" if model.startswith("claude") else "openai"), model
    if vendor not in ("anthropic", "openai"):
        raise AIError(400, f"The AI model {model!r} is neither an Anthropic nor an OpenAI model")
    return vendor, name


def model_settings(environ: Mapping[str, str], model: str) -> dict[str, str]:
    """The model and where and how to ask it, or 503 naming what is missing."""
    if not model:
        raise AIError(
            503,
            "No AI model is set for this server: the admin sets `ai.default_model` in the hub "
            "policy (or put HUBKIT_AI_MODEL=anthropic/<model> in ~/.env with your own key)",
        )
    vendor, name = _vendor(model)
    prefix = vendor.upper()
    key = environ.get(f"{prefix}_API_KEY", "")
    if not key:
        raise AIError(
            503,
            f"AI assistance is not set up on this server: {prefix}_API_KEY is not set (the hub "
            "sets it when its AI gateway runs; or put your own key in ~/.env)",
        )
    default = "https://api.anthropic.com" if vendor == "anthropic" else "https://api.openai.com/v1"
    base = (environ.get(f"{prefix}_BASE_URL") or default).rstrip("/")
    return {"model": model, "vendor": vendor, "name": name, "key": key, "base": base}


def _request(settings: dict[str, str], prompt: str, max_tokens: int) -> tuple[str, dict, dict]:
    """URL, headers and body of one non-streamed request in the vendor's format."""
    messages = [{"role": "user", "content": prompt}]
    if settings["vendor"] == "anthropic":
        return (
            settings["base"] + "/v1/messages",
            {"x-api-key": settings["key"], "anthropic-version": "2023-06-01"},
            {
                "model": settings["name"],
                "max_tokens": max_tokens,
                "system": SYSTEM,
                "messages": messages,
            },
        )
    return (
        settings["base"] + "/chat/completions",
        {"Authorization": f"Bearer {settings['key']}"},
        {
            "model": settings["name"],
            "max_completion_tokens": max_tokens,
            "messages": [{"role": "system", "content": SYSTEM}, *messages],
        },
    )


def _answer_text(vendor: str, data: dict[str, Any]) -> str:
    if vendor == "anthropic":
        return "".join(p.get("text", "") for p in data.get("content") or [] if p["type"] == "text")
    return data["choices"][0]["message"].get("content") or ""


def _error_message(response: Any) -> str:
    """The gateway's (or vendor's) message: `error.message` in both vendors' shapes."""
    try:
        error = response.json().get("error")
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])
    except ValueError:
        pass
    return f"The AI model answered {response.status_code}: {response.text[:200]}"


async def ask(settings: dict[str, str], prompt: str, max_tokens: int, timeout: float) -> str:
    """The model's whole answer to one prompt, or an AIError with the gateway's message."""
    import httpx

    url, headers, body = _request(settings, prompt, max_tokens)
    try:
        async with httpx.AsyncClient(timeout=timeout) as client:
            response = await client.post(url, headers=headers, json=body)
    except httpx.TimeoutException:
        raise AIError(504, f"The AI model did not answer within {timeout:g} s") from None
    except httpx.HTTPError as e:
        host = url.split("/")[2] if "//" in url else url
        raise AIError(502, f"The AI gateway at {host} cannot be reached ({e})") from None
    if response.status_code != 200:
        status = response.status_code if 400 <= response.status_code < 600 else 502
        raise AIError(status, _error_message(response))
    try:
        return _answer_text(settings["vendor"], response.json())
    except (ValueError, KeyError, IndexError, TypeError):
        raise AIError(502, "The AI model's answer could not be read") from None


def code_of(answer: str) -> tuple[str, str]:
    """(code, the rest) of an answer: its first fenced block, or all of it without one."""
    match = FENCE.search(answer)
    if not match:
        return answer.strip(), ""
    rest = (answer[: match.start()] + answer[match.end() :]).strip()
    return match.group(1).rstrip(), rest


def _clip(text: str, limit: int = MAX_CONTEXT, keep_end: bool = False) -> str:
    if len(text) <= limit:
        return text
    return "…" + text[-limit:] if keep_end else text[:limit] + "…"


def traceback_text(error: Any) -> str:
    """A kernel's error output as plain text (its last lines: where it failed)."""
    if not isinstance(error, dict):
        raise AIError(400, "'error' must be the cell's error output {ename, evalue, traceback}")
    lines = error.get("traceback") or [f"{error.get('ename', '')}: {error.get('evalue', '')}"]
    if not isinstance(lines, list):
        raise AIError(400, "'error.traceback' must be a list of lines")
    return _clip(ANSI.sub("", "\n".join(str(line) for line in lines)), keep_end=True)


def with_magic(original: str, fixed: str) -> str:
    """The fix keeps a SQL cell's magic line if the model left it out."""
    first = original.split("\n", 1)[0]
    if first.startswith(SQL_MAGIC) and not fixed.startswith(SQL_MAGIC):
        return f"{first}\n{fixed}"
    return fixed


def schema_text(sql: Any, connection: str) -> str:
    """Tables and columns of a connection from the catalog, one line per table."""
    lines: list[str] = []
    for schema in sql.list_schemas(connection):
        for table in sql.list_tables(connection, schema.name):
            if len(lines) >= MAX_TABLES:
                return "\n".join([*lines, "…"])
            columns = sql.list_columns(connection, schema.name, table.name)[:MAX_COLUMNS]
            described = ", ".join(
                f"{c.name} {c.type}" + (" primary key" if c.primary_key else "") for c in columns
            )
            lines.append(f"{schema.name}.{table.name}({described})")
    return "\n".join(lines)


class AIHandler(SqlHandler):
    """The actions; errors as {"message"} (SqlHandler's), the model's settings per request."""

    def settings_of(self) -> dict[str, str]:
        # jupyter-ai loads ~/.env into the environment after this extension's settings are read
        model = self.lab.ai_model or os.environ.get("HUBKIT_AI_MODEL", "")
        return model_settings(os.environ, model)

    @property
    def lab(self) -> Any:
        """The server extension's settings (hubkit_lab.extension.HubkitLab)."""
        return self.settings["hubkit_lab"]

    async def ask(self, prompt: str) -> str:
        return await ask(self.settings_of(), prompt, self.lab.ai_max_tokens, self.lab.ai_timeout)

    def text(self, data: dict[str, Any], key: str, required: bool = True) -> str:
        value = data.get(key, "")
        if not isinstance(value, str) or (required and not value.strip()):
            raise AIError(400, f"{key!r} must be a non-empty string")
        return value

    @web.authenticated
    @authorized
    async def get(self, action: str | None = None) -> None:
        async def work() -> Any:
            if action:
                raise AIError(405, f"Use POST for {action}")
            settings = self.settings_of()
            return {"model": settings["model"]}

        await self.handle(work)

    @web.authenticated
    @authorized
    async def post(self, action: str | None = None) -> None:
        async def work() -> Any:
            data = self.body()
            if action == "fix":
                return await self.fix(data)
            if action == "explain":
                return await self.explain(data)
            if action == "generate":
                return await self.generate(data)
            if action == "analyses":
                return await self.analyses(data)
            if action == "complete":
                return await self.complete(data)
            raise AIError(404, f"No AI action {action!r}")

        await self.handle(work)

    async def fix(self, data: dict[str, Any]) -> dict[str, Any]:
        source = self.text(data, "source")
        error = traceback_text(data.get("error"))
        answer = await self.ask(PROMPTS["fix"].format(source=_clip(source), error=error))
        code, rest = code_of(answer)
        if not code:
            raise AIError(502, "The AI model proposed no code")
        return {"source": with_magic(source, code), "explanation": rest}

    async def explain(self, data: dict[str, Any]) -> dict[str, Any]:
        source = self.text(data, "source")
        outputs = data.get("outputs") or ""
        if not isinstance(outputs, str):
            raise AIError(400, "'outputs' must be a string")
        shown = (
            f"\n\nIts output:\n```\n{_clip(ANSI.sub('', outputs), 2000)}\n```" if outputs else ""
        )
        markdown = await self.ask(PROMPTS["explain"].format(source=_clip(source), outputs=shown))
        return {"markdown": markdown}

    async def generate(self, data: dict[str, Any]) -> dict[str, Any]:
        prompt = _clip(self.text(data, "prompt"), 2000)
        context = self.text(data, "context", required=False)
        connection = data.get("connection")
        schema, language = "", "Python"
        if connection is not None:
            if not isinstance(connection, str):
                raise AIError(400, "'connection' must be a connection's name")
            sql = _sql()
            summary = _find(sql, connection)

            def read() -> str:
                try:
                    return schema_text(sql, connection)
                finally:
                    if _is_duckdb_file(summary):  # let the kernels open the file
                        from hubkit_kernel.sql.sessions import close_session

                        close_session(connection)

            tables = await self.run(connection, read)
            schema = (
                f"\n\nThe SQL runs on connection `{connection}` ({summary.dialect}); its tables "
                f"and columns:\n{tables or '(no tables)'}"
            )
            language = f"the SQL of {summary.dialect} (without the %%sql_cell line)"
        shown = (
            f"\n\nThe notebook's cells before it:\n```\n{_clip(context)}\n```" if context else ""
        )
        answer = await self.ask(
            PROMPTS["generate"].format(
                language=language, prompt=prompt, schema=schema, context=shown
            )
        )
        code, _ = code_of(answer)
        if not code:
            raise AIError(502, "The AI model proposed no code")
        return {"source": code, "language": "sql" if schema else "python"}

    async def complete(self, data: dict[str, Any]) -> dict[str, Any]:
        """Inline completion: the code before and after the cursor; the text to insert."""
        prefix = self.text(data, "prefix", required=False)[-MAX_CONTEXT:]
        suffix = self.text(data, "suffix", required=False)[:2000]
        language = self.text(data, "language", required=False) or "Python"
        if not prefix.strip():
            return {"completion": ""}
        prompt = PROMPTS["complete"].format(language=language, prefix=prefix, suffix=suffix)
        settings = self.settings_of()
        answer = await ask(settings, prompt, COMPLETION_TOKENS, self.lab.ai_timeout)
        completion = code_of(answer)[0] if FENCE.search(answer) else answer
        return {"completion": completion.rstrip()}

    async def analyses(self, data: dict[str, Any]) -> dict[str, Any]:
        name = self.text(data, "name")
        if not name.isidentifier():
            raise AIError(400, f"{name!r} is not a Python variable name")
        summary = data.get("summary")
        if not isinstance(summary, dict) or "columns" not in summary:
            raise AIError(400, "'summary' must be the kernel's description of the DataFrame")
        text = _clip(json.dumps(summary, default=str, indent=1), 3 * MAX_CONTEXT)
        markdown = await self.ask(PROMPTS["analyses"].format(name=name, summary=text))
        return {"markdown": markdown}


def ai_routes() -> list[tuple[str, type[AIHandler]]]:
    """The routes below /hubkit-lab/."""
    return [("ai", AIHandler), ("ai/([a-z]+)", AIHandler)]


# -- The models Jupyternaut offers: the hub's, not every model LiteLLM knows --------------------

JUPYTERNAUT = "jupyter_ai_jupyternaut"
# Where jupyter-ai-jupyternaut 0.1.0 gets the chat picker's list: every chat model in LiteLLM's
# table (over a thousand), whatever JupyternautExtension.allowed_models says.
PICKER_LIST = ("jupyter_ai_jupyternaut.jupyternaut.jupyternaut", "_litellm_chat_models")


def allowed_models(serverapp: Any) -> list[str] | None:
    """JupyternautExtension.allowed_models as configured (the hub's spawner sets it to the
    policy's `ai.models`), or None when it is not set or Jupyternaut is not installed."""
    for point in serverapp.extension_manager.extension_points.values():
        app = point.app
        if type(app).__module__.startswith(JUPYTERNAUT) and hasattr(app, "allowed_models"):
            return None if app.allowed_models is None else list(app.allowed_models)
    return None


class OfferedModelsHandler(APIHandler):
    """A model list of jupyter-ai's, answered with the allowed models only."""

    def initialize(self, key: str, models: list[str]) -> None:
        self.key, self.models = key, models

    @web.authenticated
    def get(self) -> None:
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({self.key: self.models}))


def offer_allowed_models_only(serverapp: Any) -> None:
    """Make Jupyternaut's model lists honour its own `allowed_models` option, which its 0.1.0
    release declares but never reads: the chat's model picker (published by the persona over
    the chat's awareness, from one function of its module, replaced here) and the two REST
    lists its settings read, `/api/jupyternaut/litellm-models` (the custom-model editor) and
    `/api/ai/models/chat` (jupyter-ai-litellm), answered here by routes added ahead of theirs
    (this extension loads before theirs, in name order). The user's own custom models stay in
    the picker. Nothing changes when the option is not set."""
    models = allowed_models(serverapp)
    if models is None:
        return
    import importlib

    module_name, function = PICKER_LIST
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return
    if not callable(getattr(module, function, None)):
        serverapp.log.warning(
            "hubkit_lab: %s.%s is gone (a new jupyter-ai-jupyternaut?): the chat's model picker "
            "lists every LiteLLM model, not only %s",
            module_name,
            function,
            ", ".join(models),
        )
    else:
        setattr(module, function, lambda: list(models))
    base_url = serverapp.web_app.settings["base_url"]
    serverapp.web_app.add_handlers(
        ".*$",
        [
            (
                url_path_join(base_url, "api/jupyternaut/litellm-models/?"),
                OfferedModelsHandler,
                {"key": "models", "models": models},
            ),
            (
                url_path_join(base_url, "api/ai/models/chat/?"),
                OfferedModelsHandler,
                {"key": "chat_models", "models": models},
            ),
        ],
    )
    serverapp.log.info("hubkit_lab: Jupyternaut offers %s", ", ".join(models))
