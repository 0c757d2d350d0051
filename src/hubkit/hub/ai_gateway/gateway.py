"""The AI gateway: a JupyterHub service forwarding Anthropic's Messages API and OpenAI's Chat
Completions and Responses APIs, streaming included, for hub users, with the admin's keys.

Why a small pass-through on aiohttp rather than LiteLLM's proxy or an SDK: LiteLLM's proxy server
needs Prisma, which downloads its engine at start-up (impossible offline, fragile in homelabs),
and an SDK would decode and re-encode every answer, while the clients in the users' servers
(LiteLLM inside jupyter-ai) already speak each vendor's own wire format. Forwarding the bytes as
they come keeps streams exact (server-sent events untouched) and the overhead to a few
milliseconds; the gateway only reads the usage counts out of the stream as it passes. aiohttp
rather than httpx (what the vendors' SDKs use): with 20 users streaming at once, httpx's pool
and its anyio layers took about half of the gateway's CPU (timeouts, connection checks per
request), and the gateway, short of CPU, made the first token 8x slower than the vendor;
aiohttp's client does the same work in a fraction (C parser, asyncio's own transports, a DNS
cache). Prices come from genai-prices' table (hubkit.hub.ai_gateway.prices).

Callers authenticate with a hub credential of theirs (their server's JUPYTERHUB_API_TOKEN, which
the hub gives the scope `access:services!service=ai-gateway`), as `x-api-key` or `Authorization:
Bearer`; the spend goes to the credential's owner. The keys live in this process only. Logs name
the user, model, status, token counts and time, never contents.
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from jupyterhub.services.auth import HubAuth
from jupyterhub.utils import url_path_join
from tornado import ioloop, web
from tornado.iostream import StreamClosedError
from traitlets import Float, Instance, Integer, Unicode, default
from traitlets.config import Application

from ...bounds import quote
from ...policy import AIPolicy, PolicyError, load_policy
from ..settings import secret_env
from .prices import Price, PriceError, price_of
from .spawner import ACCESS_SCOPE
from .store import UsageStore, this_month

# Headers never forwarded upstream: the caller's credential, cookies, hop-by-hop ones.
DROPPED_HEADERS = {
    "authorization",
    "x-api-key",
    "cookie",
    "host",
    "content-length",
    "connection",
    "accept-encoding",
    "transfer-encoding",
    "openai-organization",
    "openai-project",
}


@dataclass(frozen=True)
class Vendor:
    name: str  # as in the policy's model names: anthropic/..., openai/...
    title: str
    key_variable: str

    def error(self, kind: str, message: str) -> dict[str, Any]:
        """An error body in the vendor's own shape, so its clients show the message."""
        if self.name == "anthropic":
            return {"type": "error", "error": {"type": kind, "message": message}}
        return {"error": {"message": message, "type": kind, "param": None, "code": kind}}

    def error_event(self, message: str) -> bytes:
        """A stream's last event when the upstream broke off mid-answer."""
        body = json.dumps(self.error("api_error", message))
        if self.name == "anthropic":
            return f"event: error\ndata: {body}\n\n".encode()
        return f"data: {body}\n\n".encode()

    def auth_headers(self, key: str) -> dict[str, str]:
        if self.name == "anthropic":
            return {"x-api-key": key}
        return {"authorization": f"Bearer {key}"}


VENDORS = {
    "anthropic": Vendor("anthropic", "Anthropic", "ANTHROPIC_API_KEY"),
    "openai": Vendor("openai", "OpenAI", "OPENAI_API_KEY"),
}


class UsageMeter:
    """Token counts read from a JSON answer or, chunk by chunk, from a server-sent event stream.

    `input_tokens` counts the whole prompt, cached parts included (genai-prices' convention);
    `cache_read_tokens` and `cache_write_tokens` say how much of it the vendor read from or
    wrote to its prompt cache, which it charges at other rates."""

    def __init__(self) -> None:
        self.input_tokens = 0
        self.output_tokens = 0
        self.cache_read_tokens = 0
        self.cache_write_tokens = 0
        self._pending = b""

    def feed(self, chunk: bytes) -> None:
        lines = (self._pending + chunk).split(b"\n")
        self._pending = lines.pop()
        for line in lines:
            if line.startswith(b"data:") and b"usage" in line:
                with contextlib.suppress(ValueError):
                    self.read_event(json.loads(line[5:]))

    def read_event(self, event: Any) -> None:
        if not isinstance(event, dict):
            return
        kind = event.get("type")
        if kind == "message_start":  # Anthropic
            self.read_usage(event.get("message", {}).get("usage"))
        elif kind in ("message_delta", "message"):  # Anthropic
            self.read_usage(event.get("usage"))
        elif kind == "response.completed":  # OpenAI Responses
            self.read_usage(event.get("response", {}).get("usage"))
        else:  # OpenAI Chat Completions (chunk or whole), Responses (whole)
            self.read_usage(event.get("usage"))

    def read_usage(self, usage: Any) -> None:
        """One usage object of either vendor. Anthropic counts the prompt in three parts
        (input_tokens without the cache, cache_creation_input_tokens written to it,
        cache_read_input_tokens read from it); OpenAI counts it whole (prompt_tokens, or the
        Responses API's input_tokens) with the part read from the cache in
        prompt_tokens_details.cached_tokens (input_tokens_details in Responses)."""
        if not isinstance(usage, dict):
            return
        details = usage.get("prompt_tokens_details") or usage.get("input_tokens_details") or {}
        if "cache_creation_input_tokens" in usage or "cache_read_input_tokens" in usage:
            written = _count(usage.get("cache_creation_input_tokens"))
            read = _count(usage.get("cache_read_input_tokens"))
            inputs = _count(usage.get("input_tokens")) + written + read
        else:
            written = 0
            read = _count(details.get("cached_tokens")) if isinstance(details, dict) else 0
            inputs = _count(usage.get("input_tokens", usage.get("prompt_tokens")))
        outputs = usage.get("output_tokens", usage.get("completion_tokens"))
        # Anthropic repeats counts cumulatively (message_start, then message_delta): keep maxima.
        self.input_tokens = max(self.input_tokens, inputs)
        self.cache_read_tokens = max(self.cache_read_tokens, read)
        self.cache_write_tokens = max(self.cache_write_tokens, written)
        if isinstance(outputs, int):
            self.output_tokens = max(self.output_tokens, outputs)

    def read_body(self, body: bytes) -> None:
        try:
            self.read_event(json.loads(body))
        except ValueError:
            self.feed(body + b"\n")


def _count(value: Any) -> int:
    """A token count of a usage object, 0 when absent."""
    return value if isinstance(value, int) else 0


class RateLimiter:
    """Requests per user in the last 60 s, in memory (a restart forgets at most a minute)."""

    def __init__(self) -> None:
        self.seen: dict[str, deque[float]] = {}

    def wait_needed(self, user: str, per_minute: float) -> float:
        """0 and counts the request if it may go now, else seconds until it may."""
        now = time.monotonic()
        window = self.seen.setdefault(user, deque())
        while window and window[0] <= now - 60:
            window.popleft()
        if len(window) >= per_minute:
            return 60 - (now - window[0]) if window else 60.0
        window.append(now)
        return 0.0


class Refused(Exception):
    """A request the gateway answers itself, with the vendor's error shape."""

    def __init__(
        self, status: int, kind: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.kind, self.message = status, kind, message
        self.headers = headers or {}


def hub_unavailable() -> Refused:
    """What a caller is told when the hub's API fails (down, restarting, or in error)."""
    return Refused(
        503,
        "api_error",
        "The hub cannot check your account right now (it may be restarting); "
        "try again in a moment.",
    )


def next_month_start(now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    year, month = (now.year + 1, 1) if now.month == 12 else (now.year, now.month + 1)
    return datetime(year, month, 1, tzinfo=UTC).strftime("%d %B %Y")


@web.stream_request_body
class ForwardHandler(web.RequestHandler):
    """POST of one vendor API path: authenticate, check limits, forward, meter, record.
    The body is read as it comes and kept up to AIGateway.max_body_bytes: a bigger one is
    refused with 413 without being held in memory (issue 17)."""

    def initialize(self, gateway: AIGateway, vendor: Vendor, path: str) -> None:
        self.gateway, self.vendor, self.path = gateway, vendor, path
        self.user = ""
        self.model = ""
        self.chunks: list[bytes] = []
        self.received = 0

    def prepare(self) -> None:
        # Past this tornado closes the connection: the refusal below needs the body read.
        self.request.connection.set_max_body_size(4 * self.gateway.max_body_bytes)

    def data_received(self, chunk: bytes) -> None:
        self.received += len(chunk)
        if self.received <= self.gateway.max_body_bytes:
            self.chunks.append(chunk)
        else:
            self.chunks = []

    def check_xsrf_cookie(self) -> None:  # API clients with tokens, no cookies
        pass

    def refuse(self, error: Refused) -> None:
        self.set_status(error.status)
        for name, value in error.headers.items():
            self.set_header(name, value)
        # The vendors' SDKs retry 429 and 5xx by themselves: a limit of ours is final.
        self.set_header("x-should-retry", "false")
        self.set_header("content-type", "application/json")
        self.finish(json.dumps(self.vendor.error(error.kind, error.message)))

    async def post(self) -> None:
        start = time.monotonic()
        try:
            self.user = await self.gateway.authenticate(self.request)
            self.check_size()
            body = self.parse_body()
            self.model = body["model"]
            price = self.gateway.check_model(self.vendor, self.model)
            key = self.gateway.key(self.vendor)
            await self.gateway.check_limits(self.user)
        except Refused as e:
            self.gateway.log.info(
                "refused user=%s vendor=%s model=%s status=%d (%s)",
                self.user or "-",
                self.vendor.name,
                quote(self.model) if self.model else "-",
                e.status,
                e.kind,
            )
            self.refuse(e)
            return
        if body.get("stream") and self.path == "chat/completions":
            # Ask OpenAI for the usage chunk at the end of the stream, to meter it.
            body["stream_options"] = {**(body.get("stream_options") or {}), "include_usage": True}
        meter = UsageMeter()
        status = await self.forward(body, key, meter)
        cost = price.cost(
            meter.input_tokens,
            meter.output_tokens,
            cache_read_tokens=meter.cache_read_tokens,
            cache_write_tokens=meter.cache_write_tokens,
        )
        self.gateway.record(self.user, f"{self.vendor.name}/{self.model}", meter, cost)
        self.gateway.log.info(
            "user=%s model=%s/%s status=%s in=%d out=%d cost=%.6f ms=%.0f",
            self.user,
            self.vendor.name,
            self.model,
            status,
            meter.input_tokens,
            meter.output_tokens,
            cost,
            (time.monotonic() - start) * 1000,
        )

    def check_size(self) -> None:
        limit = self.gateway.max_body_bytes
        if self.received > limit:
            raise Refused(
                413,
                "request_too_large",
                f"The request has {self.received} bytes; this hub's AI gateway takes at most "
                f"{limit} (AIGateway.max_body_bytes).",
            )

    def parse_body(self) -> dict[str, Any]:
        try:
            body = json.loads(b"".join(self.chunks) or b"")
        except ValueError as e:
            raise Refused(400, "invalid_request_error", f"The request is not JSON: {e}") from None
        if not isinstance(body, dict):
            raise Refused(400, "invalid_request_error", "The request must be a JSON object.")
        if not isinstance(body.get("model"), str) or not body["model"]:
            raise Refused(400, "invalid_request_error", "The request names no `model`.")
        return body

    async def forward(self, body: dict[str, Any], key: str, meter: UsageMeter) -> int | str:
        """Send upstream and relay the answer as it comes; the status, or what broke."""
        vendor = self.vendor
        headers = {
            k: v for k, v in self.request.headers.items() if k.lower() not in DROPPED_HEADERS
        }
        headers.update(vendor.auth_headers(key))
        headers["accept-encoding"] = "identity"  # bytes to meter as they pass, no gzip
        headers["content-type"] = "application/json"  # what was parsed above
        url = f"{self.gateway.upstream(vendor)}/v1/{self.path}"
        try:
            upstream = await self.gateway.session().post(
                url, headers=headers, data=json.dumps(body).encode()
            )
        except TimeoutError:
            self.refuse(
                Refused(
                    504,
                    "timeout_error",
                    f"{vendor.title} did not answer within {self.gateway.upstream_timeout:g} s. "
                    "Try again later.",
                )
            )
            return "timeout"
        except aiohttp.ClientError as e:
            self.gateway.log.warning("%s unreachable: %s", vendor.title, type(e).__name__)
            self.refuse(
                Refused(
                    502, "api_error", f"The hub cannot reach {vendor.title} ({type(e).__name__})."
                )
            )
            return "unreachable"
        try:
            if upstream.status >= 400:
                await self.relay_error(upstream)
                return upstream.status
            # Each event goes out as it comes, not held back for the previous one's ACK.
            self.request.connection.stream.set_nodelay(True)
            self.set_status(upstream.status)
            self.set_header(
                "content-type", upstream.headers.get("content-type", "application/json")
            )
            self.set_header("cache-control", "no-cache")
            whole = b""
            streaming = "text/event-stream" in upstream.headers.get("content-type", "")
            ack = quick_acker(upstream) if streaming else None
            try:
                async for chunk in upstream.content.iter_any():
                    if ack:
                        ack()
                    if streaming:
                        meter.feed(chunk)
                    else:
                        whole += chunk
                    self.write(chunk)
                    if streaming:
                        await self.flush()
            except (aiohttp.ClientError, TimeoutError) as e:
                self.gateway.log.warning(
                    "%s broke off mid-answer for %s: %s", vendor.title, self.user, type(e).__name__
                )
                self.write(
                    vendor.error_event(
                        f"The connection to {vendor.title} broke off mid-answer "
                        f"({type(e).__name__}); the answer is incomplete. Try again."
                    )
                )
                self.finish()
                return "dropped"
            if not streaming:
                meter.read_body(whole)
            self.finish()
            return upstream.status
        except StreamClosedError:
            return "client-gone"
        finally:
            upstream.release()

    async def relay_error(self, upstream: aiohttp.ClientResponse) -> None:
        """The upstream's error, said so the user knows whose problem it is."""
        vendor, status = self.vendor, upstream.status
        try:
            body = await upstream.read()
        except (aiohttp.ClientError, TimeoutError):
            body = b""
        if status in (401, 403):
            self.gateway.log.error("%s refused the hub's key (%d)", vendor.title, status)
            self.refuse(
                Refused(
                    502,
                    "api_error",
                    f"{vendor.title} refused the hub's API key ({status}): tell the admin "
                    f"to check {vendor.key_variable} in stack.env.",
                )
            )
        elif status == 429:
            retry = upstream.headers.get("retry-after", "")
            self.refuse(
                Refused(
                    429,
                    "rate_limit_error",
                    f"{vendor.title} is rate-limiting the hub's key; try again"
                    + (f" in {retry} s." if retry else " in a minute."),
                    {"retry-after": retry} if retry else None,
                )
            )
        elif status >= 500:
            what = "is overloaded" if status == 529 else f"had an error ({status})"
            self.refuse(
                Refused(
                    status,
                    "overloaded_error" if status == 529 else "api_error",
                    f"{vendor.title} {what}; try again in a moment.",
                )
            )
        else:  # the request's own problem: the vendor's message says what
            self.set_status(status)
            self.set_header(
                "content-type", upstream.headers.get("content-type", "application/json")
            )
            self.finish(body)


def quick_acker(upstream: aiohttp.ClientResponse) -> Callable[[], None] | None:
    """Something to call after each chunk read from a stream so that Linux ACKs it at once.

    On a kept-alive connection Linux delays ACKs (up to 40-200 ms) hoping to piggyback them;
    an upstream that writes events with Nagle's algorithm on (tornado does, by default) then
    holds each small event back until that ACK: the first token came about 35 ms later through
    the gateway than directly (a new connection ACKs at once). TCP_QUICKACK is not sticky, hence
    once per chunk (a syscall of about a microsecond)."""
    quickack = getattr(socket, "TCP_QUICKACK", None)
    transport = upstream.connection.transport if upstream.connection else None
    sock = transport.get_extra_info("socket") if transport is not None else None
    if quickack is None or sock is None:
        return None

    def ack() -> None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, quickack, 1)

    return ack


class ModelsHandler(web.RequestHandler):
    """GET .../v1/models: the models this hub offers for the vendor (no credential needed)."""

    def initialize(self, gateway: AIGateway, vendor: Vendor) -> None:
        self.gateway, self.vendor = gateway, vendor

    def get(self) -> None:
        names = self.gateway.offered(self.vendor)
        if self.vendor.name == "anthropic":
            data = [{"type": "model", "id": n, "display_name": n} for n in names]
            self.write({"data": data, "has_more": False})
        else:
            self.write({"object": "list", "data": [{"id": n, "object": "model"} for n in names]})


class AIGateway(Application):
    """The service process: `python -m hubkit.hub.ai_gateway [--AIGateway.option=value]`."""

    name = "hubkit-ai-gateway"

    anthropic_url = Unicode(
        "https://api.anthropic.com",
        help="Base URL of Anthropic's API (without /v1). Tests point it at a local fake.",
    ).tag(config=True)
    openai_url = Unicode(
        "https://api.openai.com",
        help="Base URL of OpenAI's API (without /v1). Tests point it at a local fake.",
    ).tag(config=True)
    upstream_timeout = Float(
        120.0,
        help="""Seconds the gateway waits for the vendor's next bytes (the first token, or the
        next one in a stream) before telling the user it timed out.""",
    ).tag(config=True)
    connect_timeout = Float(10.0, help="Seconds to connect to a vendor's API.").tag(config=True)
    max_connections = Integer(
        200, help="Connections to the vendors kept open at most (all users together)."
    ).tag(config=True)
    keepalive_seconds = Float(
        60.0,
        help="""Seconds an idle connection to a vendor is kept for the next request. A new
        one costs a TCP and TLS handshake (tens to hundreds of ms before the first token; the
        5 s of httpx, used before, dropped them between a user's questions). Kept below the
        vendors' own idle limits, so a request rarely meets a connection they closed.""",
    ).tag(config=True)
    db_url = Unicode(
        help="""SQLAlchemy URL of the usage table (the hub's PostgreSQL in production).
        Default: HUBKIT_AI_DB_URL, else ai-usage.sqlite in the working folder.""",
    ).tag(config=True)
    policy_file = Unicode(
        "", help="The hub policy (hub/policy.yaml) whose `ai` section offers models and limits."
    ).tag(config=True)
    max_body_bytes = Integer(
        32 * 1024 * 1024,
        help="""Largest request body forwarded, in bytes (Anthropic's own limit for the
        Messages API: prompts with images or long files fit). A bigger one is refused with 413
        and never held in memory whole.""",
    ).tag(config=True)
    groups_cache_seconds = Float(
        60.0, help="How long a user's groups (for their limits) are kept before asking the hub."
    ).tag(config=True)

    policy = Instance(AIPolicy)
    store = Instance(UsageStore)
    hub_auth = Instance(HubAuth)

    @default("db_url")
    def _default_db_url(self) -> str:
        return os.environ.get("HUBKIT_AI_DB_URL") or "sqlite:///ai-usage.sqlite"

    @default("log_level")
    def _default_log_level(self) -> int:
        return 20

    def upstream(self, vendor: Vendor) -> str:
        return (self.anthropic_url if vendor.name == "anthropic" else self.openai_url).rstrip("/")

    def offered(self, vendor: Vendor) -> list[str]:
        return [m.split("/", 1)[1] for m in self.policy.models if m.startswith(vendor.name + "/")]

    def key(self, vendor: Vendor) -> str:
        key = self.keys.get(vendor.name, "")
        if not key:
            raise Refused(
                503,
                "api_error",
                f"This hub has no {vendor.title} key: the admin sets {vendor.key_variable} "
                "in stack.env (or enter your own key in JupyterLab's AI settings).",
            )
        return key

    def check_model(self, vendor: Vendor, model: str) -> Price:
        if model not in self.offered(vendor):
            offered = ", ".join(self.policy.models) or "none"
            raise Refused(
                404,
                "not_found_error",
                f"The model {quote(model)} is not offered on this hub for {vendor.title}. "
                f"Offered: {offered}.",
            )
        return self.prices[f"{vendor.name}/{model}"]

    async def authenticate(self, request) -> str:
        """The name of the hub user whose credential the request carries."""
        token = request.headers.get("x-api-key", "")
        if not token:
            match = self.hub_auth.auth_header_pat.match(request.headers.get("authorization", ""))
            token = match.group(1) if match else ""
        if not token:
            raise Refused(
                401,
                "authentication_error",
                "No hub credential: the AI gateway takes your JupyterHub server's token "
                "(JUPYTERHUB_API_TOKEN) as the API key.",
            )
        try:
            model = await self.hub_auth.user_for_token(token, sync=False)
        except (web.HTTPError, aiohttp.ClientError, TimeoutError, ValueError) as e:
            self.log.warning("the hub's token check failed: %s", e)
            raise hub_unavailable() from None
        if not model or model.get("kind", "user") != "user":
            raise Refused(
                401, "authentication_error", "This credential is not a valid hub user's token."
            )
        if not self.hub_auth.check_scopes(self.hub_auth.access_scopes, model):
            raise Refused(
                403,
                "permission_error",
                f"This token lacks the scope {ACCESS_SCOPE}.",
            )
        return model["name"]

    async def user_groups(self, user: str) -> set[str]:
        cached = self._groups.get(user)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        try:
            async with self.session().get(
                url_path_join(self.hub_auth.api_url, "users", user),
                headers={"Authorization": f"token {self.hub_auth.api_token}"},
                timeout=aiohttp.ClientTimeout(total=self.connect_timeout),
            ) as r:
                if r.status != 200:
                    self.log.warning("the hub's user API answered %d for %s", r.status, user)
                    raise hub_unavailable()
                groups = set((await r.json()).get("groups") or [])
        except (aiohttp.ClientError, TimeoutError, ValueError) as e:
            # The limits depend on the groups: guessing none could refuse or allow wrongly.
            self.log.warning("the hub's user API failed for %s: %r", user, e)
            raise hub_unavailable() from None
        self._groups[user] = (time.monotonic() + self.groups_cache_seconds, groups)
        return groups

    async def month_totals(self, user: str) -> tuple[int, float]:
        """This month's (tokens, cost) of a user: read from the table once, then kept here
        (this process is the table's only writer)."""
        month = this_month()
        cached = self._totals.get(user)
        if not cached or cached[0] != month:
            loop = asyncio.get_running_loop()
            tokens, cost = await loop.run_in_executor(self._db, self.store.month_totals, user)
            cached = self._totals[user] = (month, tokens, cost)
        return cached[1], cached[2]

    def record(self, user: str, model: str, meter: UsageMeter, cost: float) -> None:
        """Count a request at once (the limits read these totals) and queue it for the table."""
        tokens = meter.input_tokens + meter.output_tokens
        month, known_tokens, known_cost = self._totals.get(user, (this_month(), 0, 0.0))
        if month == this_month():
            self._totals[user] = (month, known_tokens + tokens, known_cost + cost)
        self._unwritten.append((user, model, meter.input_tokens, meter.output_tokens, cost))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.ensure_future(self.write_usage())

    async def write_usage(self) -> None:
        """Write the queued requests, a burst per transaction, on the table's own thread.

        One writer: SQLite takes one at a time anyway (concurrent commits waited on its lock,
        each with an fsync), and the event loop's default thread pool stays free for what
        it is for (resolving the vendors' host names)."""
        loop = asyncio.get_running_loop()
        while self._unwritten:
            rows, self._unwritten = self._unwritten, []
            try:
                await loop.run_in_executor(self._db, self.store.record_many, rows)
            except Exception:
                self.log.exception("could not record the usage of %d requests", len(rows))

    async def check_limits(self, user: str) -> None:
        limits = self.policy.limits_for(user, await self.user_groups(user))
        if not limits:
            return
        tokens, cost = await self.month_totals(user)
        renew = next_month_start()
        if "monthly_usd" in limits and cost >= limits["monthly_usd"]:
            raise Refused(
                429,
                "rate_limit_error",
                # No "$": the chat renders Markdown with TeX, where $...$ is math.
                f"Over budget: you have used {cost:.2f} USD of your monthly AI budget of "
                f"{limits['monthly_usd']:.2f} USD. It renews on {renew}; ask the admin for more.",
            )
        if "monthly_tokens" in limits and tokens >= limits["monthly_tokens"]:
            raise Refused(
                429,
                "rate_limit_error",
                f"Over budget: you have used {tokens} of your {int(limits['monthly_tokens'])} "
                f"AI tokens this month. It renews on {renew}; ask the admin for more.",
            )
        if "requests_per_minute" in limits:
            wait = self.limiter.wait_needed(user, limits["requests_per_minute"])
            if wait:
                raise Refused(
                    429,
                    "rate_limit_error",
                    f"Rate limited: at most {int(limits['requests_per_minute'])} AI requests "
                    f"per minute; try again in {wait:.0f} s.",
                    {"retry-after": str(max(1, round(wait)))},
                )

    def initialize(self, argv: list[str] | None = None) -> None:
        super().initialize(argv)
        try:
            self.policy = load_policy(Path(self.policy_file)).ai
        except PolicyError as e:
            raise SystemExit(f"hub policy: {e}") from None
        self.prices = {}
        for i, model in enumerate(self.policy.models):
            try:
                self.prices[model] = price_of(model)
            except PriceError as e:
                raise SystemExit(f"hub policy: {self.policy_file}: ai.models[{i}]: {e}") from None
        self.keys = {name: secret_env(v.key_variable) for name, v in VENDORS.items()}
        self.store = UsageStore(self.db_url)
        self._db = ThreadPoolExecutor(1, thread_name_prefix="ai-usage")
        self._unwritten: list[tuple[str, str, int, int, float]] = []
        self._writer: asyncio.Future | None = None
        self.hub_auth = HubAuth()
        self.limiter = RateLimiter()
        self._groups: dict[str, tuple[float, set[str]]] = {}
        self._totals: dict[str, tuple[str, int, float]] = {}
        self._session: aiohttp.ClientSession | None = None

    def session(self) -> aiohttp.ClientSession:
        """The connections to the vendors (and the hub), made in the running event loop."""
        if self._session is None:
            self._session = aiohttp.ClientSession(
                # TCP_NODELAY is asyncio's default: a request's body never waits for the ACK of
                # its headers (Nagle and delayed ACKs: about 40 ms before the vendor sees it).
                connector=aiohttp.TCPConnector(
                    limit=self.max_connections,
                    keepalive_timeout=self.keepalive_seconds,
                    ttl_dns_cache=300,
                ),
                timeout=aiohttp.ClientTimeout(
                    total=None, sock_connect=self.connect_timeout, sock_read=self.upstream_timeout
                ),
                auto_decompress=False,  # bytes as they come (accept-encoding: identity anyway)
                skip_auto_headers=("User-Agent",),
            )
        return self._session

    def make_app(self) -> web.Application:
        prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "/services/ai-gateway/")
        routes: list[Any] = []
        for vendor, paths in (
            (VENDORS["anthropic"], ["messages"]),
            (VENDORS["openai"], ["chat/completions", "responses"]),
        ):
            base = f"{prefix}{vendor.name}/v1/"
            routes += [
                (base + p, ForwardHandler, {"gateway": self, "vendor": vendor, "path": p})
                for p in paths
            ]
            routes.append((base + "models", ModelsHandler, {"gateway": self, "vendor": vendor}))
        return web.Application(routes)

    def start(self) -> None:
        from urllib.parse import urlparse

        url = urlparse(os.environ.get("JUPYTERHUB_SERVICE_URL", "http://127.0.0.1:8082"))
        bind = os.environ.get("HUBKIT_AI_GATEWAY_BIND_IP") or url.hostname or "127.0.0.1"
        self.make_app().listen(url.port or 80, bind, xheaders=True)
        missing = [v.key_variable for n, v in VENDORS.items() if not self.keys[n]]
        self.log.info(
            "AI gateway on %s:%s; models %s%s",
            bind,
            url.port,
            ", ".join(self.policy.models) or "none",
            f"; no {', '.join(missing)}" if missing else "",
        )
        try:
            ioloop.IOLoop.current().start()
        except KeyboardInterrupt:  # how the hub stops its services
            self.log.info("AI gateway stopped")


main = AIGateway.launch_instance
