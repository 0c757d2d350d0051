"""A local stand-in for Anthropic's and OpenAI's APIs (unreachable here), speaking their wire
formats as their API references publish them:

- Anthropic Messages (POST /v1/messages): a `message` JSON, or server-sent events
  message_start, content_block_start, ping, content_block_delta (text_delta),
  content_block_stop, message_delta (stop_reason, usage.output_tokens), message_stop; errors
  `{"type": "error", "error": {"type": ..., "message": ...}}` with 401 authentication_error,
  429 rate_limit_error, 529 overloaded_error.
- OpenAI Chat Completions (POST /v1/chat/completions): a `chat.completion`, or
  `chat.completion.chunk` events ending with `data: [DONE]` (a last chunk with `usage` and no
  choices when stream_options.include_usage); errors `{"error": {"message", "type", "param",
  "code"}}` with 401 invalid_api_key, 429 rate_limit_exceeded, 503.

What the last user message contains picks the behaviour: `[429]`, `[529]` or `[500]` answer
that error, `[drop]` breaks the stream off after two words, `[slow]` waits `slow_seconds`
before the first byte. Anything else is answered with the fake's `answer` (ANSWER unless a
test sets it), word by word, `delay` seconds apart. The fake checks the key it is sent and
records each request's headers and body. `cached` makes the usage report prompt tokens read
from and written to the prompt cache (Anthropic's cache_read_input_tokens and
cache_creation_input_tokens, OpenAI's prompt_tokens_details.cached_tokens).

- FakeUpstream(key): a running fake in a thread (`with FakeUpstream("k") as fake: fake.url`).
- `python -m tests.ai_upstream --port P --key K [--delay S]`: one as a process (benchmarks).
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import threading
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

from tornado import httpserver, web
from tornado.iostream import StreamClosedError
from tornado.netutil import bind_sockets

ANSWER = "Hello from the fake model: the answer is 42."


def last_user_text(body: dict[str, Any]) -> str:
    for message in reversed(body.get("messages") or []):
        if message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, str):
                return content
            return " ".join(
                part.get("text", "") for part in content or [] if isinstance(part, dict)
            )
    return str(body.get("input", ""))


def words(text: str) -> list[str]:
    parts = text.split(" ")
    return [p + (" " if i < len(parts) - 1 else "") for i, p in enumerate(parts)]


def sse(event: str | None, data: Any) -> bytes:
    head = f"event: {event}\n" if event else ""
    body = data if isinstance(data, str) else json.dumps(data)
    return f"{head}data: {body}\n\n".encode()


class Base(web.RequestHandler):
    vendor = ""

    def initialize(self, fake: FakeUpstream) -> None:
        self.fake = fake

    def check_xsrf_cookie(self) -> None:
        pass

    def key(self) -> str:
        raise NotImplementedError

    def error(self, status: int, kind: str, message: str) -> None:
        raise NotImplementedError

    async def post(self) -> None:
        body = json.loads(self.request.body)
        self.fake.requests.append(
            {"vendor": self.vendor, "headers": dict(self.request.headers), "body": body}
        )
        if self.key() != self.fake.key:
            self.error(401, "auth", "invalid x-api-key")
            return
        prompt = last_user_text(body)
        for status in (429, 529, 500, 503):
            if f"[{status}]" in prompt:
                self.error(status, str(status), f"fake upstream error {status}")
                return
        if "[slow]" in prompt:
            await asyncio.sleep(self.fake.slow_seconds)
        self.prompt_tokens = len(prompt.split())
        if body.get("stream"):
            self.set_header("content-type", "text/event-stream; charset=utf-8")
            self.set_header("cache-control", "no-cache")
            with contextlib.suppress(StreamClosedError):
                await self.stream(body, drop="[drop]" in prompt)
        else:
            self.write(self.whole(body))

    async def answer_words(self, drop: bool) -> AsyncIterator[str]:
        """The answer word by word, `delay` apart; with `drop`, the connection closes after two."""
        for i, word in enumerate(words(self.fake.answer)):
            await asyncio.sleep(self.fake.delay)
            if drop and i == 2:
                self.request.connection.stream.close()
                raise StreamClosedError()
            yield word

    async def send(self, data: bytes) -> None:
        self.write(data)
        await self.flush()


class Messages(Base):
    """Anthropic's POST /v1/messages."""

    vendor = "anthropic"

    def key(self) -> str:
        return self.request.headers.get("x-api-key", "")

    def error(self, status: int, kind: str, message: str) -> None:
        kinds = {
            401: "authentication_error",
            429: "rate_limit_error",
            529: "overloaded_error",
            500: "api_error",
            503: "api_error",
        }
        self.set_status(status, "Overloaded" if status == 529 else None)
        if status == 429:
            self.set_header("retry-after", "7")
        self.set_header("request-id", "req_" + uuid.uuid4().hex)
        self.finish({"type": "error", "error": {"type": kinds[status], "message": message}})

    def usage(self, output: int) -> dict[str, int]:
        read, written = self.fake.cached
        cache = (
            {"cache_creation_input_tokens": written, "cache_read_input_tokens": read}
            if read or written
            else {}
        )
        return {"input_tokens": self.prompt_tokens, **cache, "output_tokens": output}

    def whole(self, body: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": "msg_" + uuid.uuid4().hex,
            "type": "message",
            "role": "assistant",
            "model": body["model"],
            "content": [{"type": "text", "text": self.fake.answer}],
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": self.usage(len(words(self.fake.answer))),
        }

    async def stream(self, body: dict[str, Any], drop: bool) -> None:
        message = {**self.whole(body), "content": [], "stop_reason": None}
        message["usage"] = self.usage(1)
        await self.send(sse("message_start", {"type": "message_start", "message": message}))
        await self.send(
            sse(
                "content_block_start",
                {
                    "type": "content_block_start",
                    "index": 0,
                    "content_block": {"type": "text", "text": ""},
                },
            )
        )
        await self.send(sse("ping", {"type": "ping"}))
        async for word in self.answer_words(drop):
            await self.send(
                sse(
                    "content_block_delta",
                    {
                        "type": "content_block_delta",
                        "index": 0,
                        "delta": {"type": "text_delta", "text": word},
                    },
                )
            )
        await self.send(sse("content_block_stop", {"type": "content_block_stop", "index": 0}))
        await self.send(
            sse(
                "message_delta",
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                    "usage": {"output_tokens": len(words(self.fake.answer))},
                },
            )
        )
        await self.send(sse("message_stop", {"type": "message_stop"}))


class ChatCompletions(Base):
    """OpenAI's POST /v1/chat/completions."""

    vendor = "openai"

    def key(self) -> str:
        return self.request.headers.get("authorization", "").removeprefix("Bearer ")

    def error(self, status: int, kind: str, message: str) -> None:
        codes = {401: "invalid_api_key", 429: "rate_limit_exceeded"}
        types = {401: "invalid_request_error", 429: "requests"}
        self.set_status(503 if status == 529 else status)
        self.finish(
            {
                "error": {
                    "message": message,
                    "type": types.get(status, "server_error"),
                    "param": None,
                    "code": codes.get(status),
                }
            }
        )

    def usage(self) -> dict[str, Any]:
        out = len(words(self.fake.answer))
        read = self.fake.cached[0]  # OpenAI reports reads only, within prompt_tokens
        cache = {"prompt_tokens_details": {"cached_tokens": read}} if read else {}
        return {
            "prompt_tokens": self.prompt_tokens + read,
            "completion_tokens": out,
            "total_tokens": self.prompt_tokens + read + out,
            **cache,
        }

    def whole(self, body: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": "chatcmpl-" + uuid.uuid4().hex,
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body["model"],
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "logprobs": None,
                    "message": {"role": "assistant", "content": self.fake.answer, "refusal": None},
                }
            ],
            "usage": self.usage(),
        }

    async def stream(self, body: dict[str, Any], drop: bool) -> None:
        base = {
            "id": "chatcmpl-" + uuid.uuid4().hex,
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": body["model"],
        }
        with_usage = (body.get("stream_options") or {}).get("include_usage")
        first = {"role": "assistant", "content": ""}
        await self.send(
            sse(
                None,
                {
                    **base,
                    "choices": [
                        {"index": 0, "delta": first, "finish_reason": None, "logprobs": None}
                    ],
                },
            )
        )
        async for word in self.answer_words(drop):
            await self.send(
                sse(
                    None,
                    {
                        **base,
                        "choices": [
                            {
                                "index": 0,
                                "delta": {"content": word},
                                "finish_reason": None,
                                "logprobs": None,
                            }
                        ],
                    },
                )
            )
        await self.send(
            sse(
                None,
                {
                    **base,
                    "choices": [
                        {"index": 0, "delta": {}, "finish_reason": "stop", "logprobs": None}
                    ],
                },
            )
        )
        if with_usage:
            await self.send(sse(None, {**base, "choices": [], "usage": self.usage()}))
        await self.send(sse(None, "[DONE]"))


class FakeUpstream:
    """Both fakes on one port (Anthropic's and OpenAI's paths do not overlap)."""

    def __init__(self, key: str, delay: float = 0.01, slow_seconds: float = 30.0) -> None:
        self.key, self.delay, self.slow_seconds = key, delay, slow_seconds
        self.answer = ANSWER  # what every prompt is answered with (tests may change it)
        # Prompt tokens (read from, written to) the vendor's prompt cache, as its usage says
        self.cached = (0, 0)
        self.requests: list[dict[str, Any]] = []
        self.url = ""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def app(self) -> web.Application:
        return web.Application(
            [
                (r"/v1/messages", Messages, {"fake": self}),
                (r"/v1/chat/completions", ChatCompletions, {"fake": self}),
            ]
        )

    def __enter__(self) -> FakeUpstream:
        sockets = bind_sockets(0, "127.0.0.1")
        self.url = f"http://127.0.0.1:{sockets[0].getsockname()[1]}"
        ready = threading.Event()

        def run() -> None:
            self._loop = asyncio.new_event_loop()
            asyncio.set_event_loop(self._loop)
            server = httpserver.HTTPServer(self.app())
            server.add_sockets(sockets)
            self._loop.call_soon(ready.set)
            self._loop.run_forever()
            server.stop()

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._loop:
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread:
            self._thread.join(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--delay", type=float, default=0.01)
    args = parser.parse_args()
    fake = FakeUpstream(args.key, args.delay)

    async def serve() -> None:
        fake.app().listen(args.port, "127.0.0.1")
        await asyncio.Event().wait()

    asyncio.run(serve())


if __name__ == "__main__":
    main()
