"""The hub's AI gateway through a real hub, against a local stand-in for the vendors' APIs
(tests/ai_upstream.py): who may use it, what it forwards and streams, its limits and messages,
and the usage the admin sees."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import nbformat
import pytest
import requests

from .. import ROOT
from ..ai_upstream import ANSWER, FakeUpstream
from ..browser import console_errors, first_visit, log_in, use_theme, wait_for_kernel
from ..hubserver import ADMIN, ADMIN_PASSWORD, HubServer
from ..utils import edit_yaml
from .test_sql_workspace import make_shop, upload_notebook

pytestmark = pytest.mark.slow

ANTHROPIC_KEY = "sk-ant-admin-" + os.urandom(12).hex()
OPENAI_KEY = "sk-openai-admin-" + os.urandom(12).hex()
MODEL = "claude-sonnet-4-5"
GPT = "gpt-4.1-mini"


def ai_policy(tmp, rpm_user: str, broke_user: str):
    def change(data):
        # the module sends many requests as the same users within a minute, in any order: the
        # per-minute limit is tested with rpm_user alone
        data["ai"]["limits"]["requests_per_minute"] = 600
        data["ai"]["users"] = {
            broke_user: {"monthly_usd": 0},
            "dora": {"monthly_usd": 0},
            rpm_user: {"requests_per_minute": 2},
        }

    return edit_yaml(ROOT / "hub" / "policy.yaml", change, tmp / "policy.yaml")


@pytest.fixture(scope="module")
def fake():
    with FakeUpstream(ANTHROPIC_KEY, delay=0.005, slow_seconds=4) as upstream:
        yield upstream


@pytest.fixture(scope="module")
def ai_hub(tmp_path_factory, catalog, layout, available_profiles, fake):
    tmp = tmp_path_factory.mktemp("ai-hub")
    from ..databases import free_port

    with HubServer(
        tmp,
        catalog,
        layout,
        HUBKIT_POLICY=str(ai_policy(tmp, "hasty", "broke")),
        HUBKIT_AI="true",
        HUBKIT_AI_GATEWAY_URL=f"http://127.0.0.1:{free_port()}",
        HUBKIT_AI_ANTHROPIC_URL=fake.url,
        HUBKIT_AI_OPENAI_URL=fake.url,
        HUBKIT_AI_TIMEOUT="1.5",
        ANTHROPIC_API_KEY=ANTHROPIC_KEY,
        OPENAI_API_KEY=ANTHROPIC_KEY,  # the fake checks one key for both
    ) as hub:
        hub.gateway = hub.env["HUBKIT_AI_GATEWAY_URL"] + "/services/ai-gateway"
        hub.wait_for(lambda: gateway_up(hub.gateway), 30, "the AI gateway answering")
        hub.tokens = {name: hub.add_account(name)[1] for name in ("alice", "bob", "broke", "hasty")}
        yield hub


def gateway_up(base: str) -> bool:
    try:
        return requests.get(f"{base}/anthropic/v1/models", timeout=2).ok
    except requests.ConnectionError:
        return False


def claude(hub, token: str | None, text: str, stream: bool = True, model: str = MODEL, **kw):
    headers = {"anthropic-version": "2023-06-01", "content-type": "application/json"}
    if token:
        headers["x-api-key"] = token
    body = {
        "model": model,
        "max_tokens": 100,
        "stream": stream,
        "messages": [{"role": "user", "content": text}],
    }
    return requests.post(
        f"{hub.gateway}/anthropic/v1/messages",
        headers=headers,
        data=kw.get("data", json.dumps(body)),
        stream=stream,
        timeout=30,
    )


def gpt(hub, token: str, text: str, stream: bool = True):
    body = {"model": GPT, "stream": stream, "messages": [{"role": "user", "content": text}]}
    return requests.post(
        f"{hub.gateway}/openai/v1/chat/completions",
        headers={"Authorization": f"Bearer {token}"},
        json=body,
        stream=stream,
        timeout=30,
    )


def events(response: requests.Response) -> list[tuple[str | None, object]]:
    """The server-sent events of a response: (event name, parsed data)."""
    out, name = [], None
    for line in response.iter_lines(decode_unicode=True):
        if line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            data = line[5:].strip()
            out.append((name, data if data == "[DONE]" else json.loads(data)))
            name = None
    return out


def anthropic_text(evts) -> str:
    return "".join(e["delta"]["text"] for name, e in evts if name == "content_block_delta")


def usage_of(hub, user: str) -> dict:
    rows = hub.api("GET", "/hubkit/usage").json()["users"]
    return next(r for r in rows if r["name"] == user)["ai"]


def test_a_user_streams_claude_and_gpt_answers_through_the_gateway_with_the_hubs_key(ai_hub, fake):
    # Given alice's own hub token as the API key
    token = ai_hub.tokens["alice"]
    fake.requests.clear()
    # When she asks Claude with streaming
    r = claude(ai_hub, token, "What is six times seven?")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/event-stream")
    evts = events(r)
    # Then the answer arrives as Anthropic's events, in their order, with the whole text
    names = [n for n, _ in evts]
    assert names[0] == "message_start" and names[-1] == "message_stop"
    assert "message_delta" in names
    assert anthropic_text(evts) == ANSWER
    # And the vendor got the admin's key, never alice's hub token
    sent = fake.requests[-1]["headers"]
    assert sent["X-Api-Key"] == ANTHROPIC_KEY
    assert token not in json.dumps(fake.requests[-1])
    # When she asks an OpenAI model: chunks, then [DONE]
    r = gpt(ai_hub, token, "And in words?")
    assert r.status_code == 200, r.text
    evts = events(r)
    assert evts[-1][1] == "[DONE]"
    text = "".join(
        c["choices"][0]["delta"].get("content") or "" for _, c in evts[:-1] if c["choices"]
    )
    assert text == ANSWER
    # And without streaming, the whole message
    r = claude(ai_hub, token, "Once more", stream=False)
    assert r.json()["content"][0]["text"] == ANSWER
    # Then the admin's usage page counts her requests and tokens, with a cost
    ai = usage_of(ai_hub, "alice")
    assert ai["requests"] >= 3 and ai["tokens"] > 0 and ai["cost_usd"] > 0
    page = ai_hub.login(ADMIN, ADMIN_PASSWORD).get(f"{ai_hub.url}/hub/usage").text
    row = page.split('data-user="alice"', 1)[1].split("</tr>", 1)[0]
    assert f'<td class="hubkit-ai-requests">{ai["requests"]}</td>' in row
    # And /hub/metrics exposes them for Prometheus (read off the hub's event loop: a scrape
    # gets the totals read at most a few seconds before)
    ai_hub.wait_for(
        lambda: requests_in_metrics(ai_hub, "alice") >= ai["requests"],
        30,
        "alice's requests in /hub/metrics",
    )


def requests_in_metrics(hub, user: str) -> float:
    """A user's AI requests in /hub/metrics (hubkit_ai_requests_total, all models)."""
    text = requests.get(
        f"{hub.url}/hub/metrics", headers={"Authorization": f"token {hub.admin_token}"}, timeout=30
    ).text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("hubkit_ai_requests_total{") and f'user="{user}"' in line
    )


def test_metrics_never_read_the_usage_table_on_the_hubs_event_loop(tmp_path):
    """JupyterHub collects the metrics on its event loop: the collector reads on its own
    thread and serves what it read."""
    import threading

    from sqlalchemy import event

    from hubkit.hub.ai_gateway.store import UsageCollector, UsageStore

    store = UsageStore(f"sqlite:///{tmp_path / 'usage.sqlite'}")
    readers: set[int] = set()
    event.listen(
        store.engine, "before_cursor_execute", lambda *a: readers.add(threading.get_ident())
    )
    store.record("zoe", "anthropic/claude-sonnet-4-5", 10, 5, 0.25)
    readers.clear()
    collector = UsageCollector(store, max_age=0)

    def scrape() -> dict:
        families = collector.collect()
        return {(m.name, tuple(x.labels.values())): x.value for m in families for x in m.samples}

    deadline = time.monotonic() + 10
    while not (totals := scrape()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert totals[("hubkit_ai_cost_usd", ("zoe", "anthropic/claude-sonnet-4-5"))] == 0.25
    assert totals[("hubkit_ai_requests", ("zoe", "anthropic/claude-sonnet-4-5"))] == 1
    assert readers and threading.get_ident() not in readers


def test_requests_without_a_valid_hub_credential_are_refused(ai_hub, fake):
    fake.requests.clear()
    # No credential, a made-up one, and the admin's vendor key itself
    for token, status in ((None, 401), ("not-a-token", 401), (ANTHROPIC_KEY, 401)):
        r = claude(ai_hub, token, "hi", stream=False)
        assert r.status_code == status, r.text
        assert r.json()["error"]["type"] == "authentication_error"
    assert "hub credential" in claude(ai_hub, None, "hi", stream=False).json()["error"]["message"]
    # A token of alice's without the gateway's scope
    r = ai_hub.api(
        "POST",
        "/users/alice/tokens",
        json={"note": "narrow", "scopes": ["read:users:name!user=alice"]},
    )
    narrow = r.json()["token"]
    r = claude(ai_hub, narrow, "hi", stream=False)
    assert r.status_code == 403, r.text
    assert "access:services!service=ai-gateway" in r.json()["error"]["message"]
    # And nothing reached the vendor
    assert fake.requests == []


def test_limits_are_per_user_and_say_so(ai_hub):
    # Given broke has a budget of $0 and hasty 2 requests per minute
    before = usage_of(ai_hub, "broke")
    r = claude(ai_hub, ai_hub.tokens["broke"], "hi", stream=False)
    # Then broke is told they are over budget, and when it renews, in Anthropic's error shape
    assert r.status_code == 429
    assert r.headers["x-should-retry"] == "false"
    message = r.json()["error"]["message"]
    assert message.startswith("Over budget") and "renews on" in message
    # And bob's credential spends bob's budget, never broke's
    assert claude(ai_hub, ai_hub.tokens["bob"], "hi", stream=False).status_code == 200
    assert usage_of(ai_hub, "broke") == before
    assert usage_of(ai_hub, "bob")["requests"] == 1
    # When hasty sends a third request within a minute
    codes = [claude(ai_hub, ai_hub.tokens["hasty"], "hi", stream=False) for _ in range(3)]
    assert [c.status_code for c in codes] == [200, 200, 429]
    assert codes[2].json()["error"]["message"].startswith("Rate limited: at most 2")
    assert int(codes[2].headers["retry-after"]) > 0
    # Then others are still served
    assert claude(ai_hub, ai_hub.tokens["bob"], "hi", stream=False).status_code == 200


@pytest.mark.parametrize(
    ("send", "status", "kind", "says"),
    [
        ({"data": "{not json"}, 400, "invalid_request_error", "not JSON"),
        ({"data": json.dumps({"messages": []})}, 400, "invalid_request_error", "no `model`"),
        ({"model": "claude-3-opus"}, 404, "not_found_error", "is not offered on this hub"),
        ({"text": "[429] hi"}, 429, "rate_limit_error", "Anthropic is rate-limiting"),
        ({"text": "[529] hi"}, 529, "overloaded_error", "Anthropic is overloaded"),
        ({"text": "[500] hi"}, 500, "api_error", "Anthropic had an error (500)"),
        ({"text": "[slow] hi"}, 504, "timeout_error", "did not answer within 1.5 s"),
    ],
)
def test_bad_requests_and_upstream_failures_get_a_clear_message(ai_hub, send, status, kind, says):
    token = ai_hub.tokens["alice"]
    r = claude(
        ai_hub,
        token,
        send.get("text", "hi"),
        stream=False,
        **{k: v for k, v in send.items() if k != "text"},
    )
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert error["type"] == kind and says in error["message"], error
    # And the gateway keeps serving
    assert claude(ai_hub, token, "still there?", stream=False).status_code == 200


def test_a_stream_broken_off_upstream_ends_with_an_error_event(ai_hub):
    r = claude(ai_hub, ai_hub.tokens["alice"], "[drop] tell me")
    evts = events(r)
    assert evts[-1][0] == "error"
    assert "broke off mid-answer" in evts[-1][1]["error"]["message"]
    assert anthropic_text(evts) == " ".join(ANSWER.split(" ")[:2]) + " "


def test_a_missing_key_is_named_and_the_gateway_stops_with_the_hub(make_hub, fake):
    from ..databases import free_port

    hub = make_hub(
        HUBKIT_AI="true",
        HUBKIT_AI_GATEWAY_URL=f"http://127.0.0.1:{free_port()}",
        HUBKIT_AI_ANTHROPIC_URL=fake.url,
    )
    hub.gateway = hub.env["HUBKIT_AI_GATEWAY_URL"] + "/services/ai-gateway"
    hub.wait_for(lambda: gateway_up(hub.gateway), 30, "the AI gateway answering")
    r = claude(hub, hub.admin_token, "hi", stream=False)
    assert r.status_code == 503
    assert (
        "This hub has no Anthropic key: the admin sets ANTHROPIC_API_KEY"
        in (r.json()["error"]["message"])
    )
    # And when the hub stops (SIGINT to its services first), the gateway stops with it in
    # seconds, quietly: an admin's `docker compose logs hub` shows no traceback
    started = time.monotonic()
    hub.stop()
    assert hub.process.returncode == 0 and time.monotonic() - started < 20
    assert "Traceback" not in hub.log_path.read_text(), hub.log()
    assert "AI gateway stopped" in hub.log_path.read_text()


def test_cached_prompt_tokens_are_priced_at_the_cache_rates(ai_hub, fake):
    """The vendors charge prompt tokens read from (and written to) their prompt cache at other
    rates: the cost recorded is genai-prices' for the usage the vendor reported."""
    import genai_prices
    from genai_prices import Usage

    def cost(usage: Usage, model: str, vendor: str) -> float:
        return float(genai_prices.calc_price(usage, model, provider_id=vendor).total_price)

    token = ai_hub.add_account("cachy")[1]
    fake.cached = (3000, 500)  # read from the cache, written to it
    try:
        # When a Claude answer reports cache reads and writes (whole, then streamed)
        r = claude(ai_hub, token, "Long shared context, then a question", stream=False)
        reported = genai_prices.extract_usage(r.json(), provider_id="anthropic").usage
        assert reported.cache_read_tokens == 3000 and reported.cache_write_tokens == 500
        events(claude(ai_hub, token, "Long shared context, then a question"))
        # And a GPT answer reports cached prompt tokens (OpenAI's prompt_tokens_details)
        g = gpt(ai_hub, token, "Long shared context, then a question", stream=False).json()
    finally:
        fake.cached = (0, 0)
    read = g["usage"]["prompt_tokens_details"]["cached_tokens"]
    gpt_usage = Usage(
        input_tokens=g["usage"]["prompt_tokens"],
        cache_read_tokens=read,
        output_tokens=g["usage"]["completion_tokens"],
    )
    expected = 2 * cost(reported, MODEL, "anthropic") + cost(gpt_usage, GPT, "openai")
    # Then cachy is charged genai-prices' figure for it
    charged = usage_of(ai_hub, "cachy")
    assert charged["requests"] == 3
    assert charged["cost_usd"] == pytest.approx(expected, abs=2e-6)
    # which is well below the price of the same prompts as uncached input tokens
    uncached = 2 * cost(
        Usage(input_tokens=reported.input_tokens, output_tokens=reported.output_tokens),
        MODEL,
        "anthropic",
    ) + cost(
        Usage(input_tokens=gpt_usage.input_tokens, output_tokens=gpt_usage.output_tokens),
        GPT,
        "openai",
    )
    assert charged["cost_usd"] < 0.6 * uncached


class FailingHubAPI:
    """A proxy to the hub's API whose user API (/hub/api/users/...) can be made to fail."""

    def __init__(self, hub_url: str) -> None:
        import http.server
        import threading

        outer = self
        self.failing = False

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if outer.failing and "/hub/api/users/" in self.path:
                    self.send_response(502)
                    self.end_headers()
                    return
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                r = requests.get(hub_url + self.path, headers=headers, timeout=30)
                self.send_response(r.status_code)
                self.send_header("content-type", r.headers.get("content-type", "text/plain"))
                self.send_header("content-length", str(len(r.content)))
                self.end_headers()
                self.wfile.write(r.content)

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_the_gateway_answers_503_in_the_vendors_shape_when_the_hubs_api_fails(
    ai_hub, fake, tmp_path
):
    """A second gateway (the hub's own keeps serving the other tests), reaching the real hub's
    API through a proxy that can fail it."""
    import subprocess
    import sys

    from ..databases import free_port

    hub_api = FailingHubAPI(ai_hub.url)
    port = free_port()
    env = {
        **os.environ,
        "JUPYTERHUB_API_URL": f"{hub_api.url}/hub/api",
        "JUPYTERHUB_API_TOKEN": ai_hub.admin_token,
        "JUPYTERHUB_SERVICE_NAME": "ai-gateway",
        "JUPYTERHUB_SERVICE_URL": f"http://127.0.0.1:{port}",
        "JUPYTERHUB_SERVICE_PREFIX": "/services/ai-gateway/",
        "HUBKIT_AI_DB_URL": f"sqlite:///{tmp_path / 'usage.sqlite'}",
        "ANTHROPIC_API_KEY": ANTHROPIC_KEY,
    }
    gateway = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hubkit.hub.ai_gateway",
            f"--AIGateway.policy_file={ai_hub.env['HUBKIT_POLICY']}",
            f"--AIGateway.anthropic_url={fake.url}",
            "--AIGateway.groups_cache_seconds=0",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "gateway.log").open("wb"),
    )
    second = type("Hub", (), {"gateway": f"http://127.0.0.1:{port}/services/ai-gateway"})
    try:
        ai_hub.wait_for(lambda: gateway_up(second.gateway), 30, "the second gateway answering")
        token = ai_hub.tokens["alice"]
        # Given alice is served while the hub answers
        assert claude(second, token, "hi", stream=False).status_code == 200
        # When the hub's user API fails (her token's check is still cached)
        hub_api.failing = True
        r = claude(second, token, "hi", stream=False)
        # Then she is told the hub cannot check her account, in Anthropic's error shape
        assert r.status_code == 503, r.text
        assert r.json()["type"] == "error" and r.json()["error"]["type"] == "api_error"
        assert "cannot check your account" in r.json()["error"]["message"]
        # And when the hub does not answer at all, the same for a token not checked before
        hub_api.close()
        r = claude(second, ai_hub.tokens["bob"], "hi", stream=False)
        assert r.status_code == 503, r.text
        assert "cannot check your account" in r.json()["error"]["message"]
        # And the gateway still runs
        assert gateway.poll() is None and gateway_up(second.gateway)
    finally:
        hub_api.failing = True
        gateway.terminate()
        gateway.wait(10)


KERNEL_CODE = """
import litellm
ip = get_ipython()
# No %load_ext: the kernel's config declares %%ai as a lazy magic, loaded on first use
assert "jupyter_ai_magic_commands.magics" not in __import__("sys").modules
answer = ip.run_cell_magic("ai", "anthropic/claude-sonnet-4-5 --format text", "PROMPT")
print("MAGIC:", getattr(answer, "data", answer))
for model in ("anthropic/claude-sonnet-4-5", "openai/gpt-4.1-mini"):
    stream = litellm.completion(
        model=model, messages=[{"role": "user", "content": "PROMPT"}], stream=True
    )
    pieces = [c.choices[0].delta.content or "" for c in stream if c.choices]
    print("STREAM:", model, sum(1 for p in pieces if p), "".join(pieces))
"""


def server_tree(hub, user: str) -> list:
    roots = [
        p
        for p in hub.server_processes()
        if f"/user/{user}/" in " ".join(p.cmdline()) or p.environ().get("JUPYTERHUB_USER") == user
    ]
    return [q for p in roots for q in (p, *p.children(recursive=True))]


async def test_a_users_server_uses_the_gateway_with_its_own_token_and_never_holds_the_keys(
    ai_hub, fake, available_profiles
):
    # Given alice's server, started with nothing configured by her
    token = running_server(ai_hub, "alice", available_profiles[0])
    fake.requests.clear()
    before = usage_of(ai_hub, "alice")["requests"]
    prompt = "Secret plan number " + os.urandom(4).hex()
    # When her kernel runs %%ai and streams with LiteLLM (what jupyter-ai's chat uses)
    out = await ai_hub.execute("alice", token, "python3", KERNEL_CODE.replace("PROMPT", prompt))
    # Then the answers come through the gateway, streamed word by word
    assert f"MAGIC: {ANSWER}" in out, out
    words = len(ANSWER.split(" "))
    assert f"STREAM: anthropic/claude-sonnet-4-5 {words} {ANSWER}" in out, out
    assert f"STREAM: openai/gpt-4.1-mini {words} {ANSWER}" in out, out
    assert len(fake.requests) == 3
    assert all(r["headers"].get("X-Api-Key", ANTHROPIC_KEY) == ANTHROPIC_KEY for r in fake.requests)
    # And they are charged to alice
    assert usage_of(ai_hub, "alice")["requests"] == before + 3
    # And the gateway's log (the hub's output) names no prompt
    assert prompt not in (ai_hub.tmp / "hub.log").read_text(errors="replace")
    # And the admin's keys are nowhere in her server: environment and command lines of the
    # server and its kernels, files in her home, what the browser loads
    secrets = [ANTHROPIC_KEY.encode(), OPENAI_KEY.encode()]
    processes = server_tree(ai_hub, "alice")
    assert processes, "alice's server processes not found"
    for p in processes:
        for name in ("environ", "cmdline"):
            data = Path(f"/proc/{p.pid}/{name}").read_bytes()
            assert not any(s in data for s in secrets), f"key in /proc/{p.pid}/{name}"
    assert (
        processes[0].environ()["ANTHROPIC_API_KEY"]
        == processes[0].environ()["JUPYTERHUB_API_TOKEN"]
    )
    for path in (ai_hub.tmp / "homes" / "alice").rglob("*"):
        if path.is_file():
            assert not any(s in path.read_bytes() for s in secrets), f"key in {path}"
    # And LiteLLM, in her server and kernel, did not reach out for its price table
    log = ai_hub.tmp / "homes" / "alice" / ".local" / "state" / "hubkit" / "jupyter-server.log"
    assert "is running at" in log.read_text(), "the server's log not found"
    assert "model cost map" not in log.read_text()
    headers = {"Authorization": f"token {token}"}
    base = f"{ai_hub.url}/user/alice"
    for page in (
        "/lab",
        "/api/jupyternaut/secrets",
        "/api/jupyternaut/config",
        "/lab/api/settings",
    ):
        r = requests.get(base + page, headers=headers, timeout=30)
        assert r.ok, (page, r.status_code)
        assert not any(s.decode() in r.text for s in secrets), page
    # And the chat's default model is the policy's, with no setup by alice
    config = requests.get(base + "/api/jupyternaut/config", headers=headers, timeout=30).json()
    assert config["model_provider_id"] == "anthropic/claude-sonnet-4-5"


def offered_models(hub) -> list[str]:
    import yaml

    return yaml.safe_load(Path(hub.env["HUBKIT_POLICY"]).read_text())["ai"]["models"]


def test_jupyternauts_model_lists_hold_only_the_models_the_admin_offers(ai_hub, available_profiles):
    # Given alice's server, and the models of the hub policy's `ai` section
    token = running_server(ai_hub, "alice", available_profiles[0])
    offered = offered_models(ai_hub)
    base = f"{ai_hub.url}/user/alice/api"
    headers = {"Authorization": f"token {token}"}
    # Then the lists Jupyternaut's settings read hold exactly those (not LiteLLM's thousand)
    r = requests.get(f"{base}/jupyternaut/litellm-models", headers=headers, timeout=30)
    assert r.status_code == 200, r.text
    assert r.json() == {"models": offered}
    r = requests.get(f"{base}/ai/models/chat/", headers=headers, timeout=30)
    assert r.status_code == 200, r.text
    assert r.json() == {"chat_models": offered}
    # And without a login, nothing
    r = requests.get(f"{base}/jupyternaut/litellm-models", timeout=30, allow_redirects=False)
    assert r.status_code == 403, r.status_code  # an API handler refuses, never redirects


def ask_in_chat(page, question: str, hub: HubServer, user: str) -> None:
    """A new chat from the command palette, and a question to Jupyternaut in it, once the chat
    is ready for it (as a person typing would find it):
    - jupyter-ai's persona manager joins a new chat's router a moment after the chat opens
      (seconds on a loaded machine); a message sent before that reaches no persona;
    - Jupyternaut joining changes the chat's document, and jupyterlab-chat's YChat ignores
      every message that arrives while its document has unsaved changes (it takes the
      `dirty` flag for "still loading"): wait until the server saved the chat with
      Jupyternaut among its users (about a second). Sent at once, the question went
      unanswered 3 times in 3."""
    page.keyboard.press("Control+Shift+C")
    page.fill(".lm-CommandPalette-input", "Create a new chat")
    page.keyboard.press("Enter")
    persona = page.locator(".jp-jai-personaControls-persona:text-is('Jupyternaut')")
    persona.wait_for(timeout=120_000)

    home = Path(hub.env["HUBKIT_HOMES_DIR"], user)

    def saved_with_jupyternaut() -> bool:
        chats = sorted(home.glob("*.chat"), key=lambda path: path.stat().st_mtime)
        return bool(chats) and '"Jupyternaut"' in chats[-1].read_text()

    hub.wait_for(saved_with_jupyternaut, 60, f"a chat in {home} saved with Jupyternaut")
    page.get_by_placeholder("Type a chat message").click()
    page.keyboard.type(f"@Jupyternaut {question}")
    page.keyboard.press("Enter")


@pytest.mark.browser
def test_the_chat_streams_an_answer_and_says_when_the_budget_is_used_up(
    ai_hub, fake, available_profiles, browser
):

    fake.delay = 0.25  # words a quarter of a second apart: the stream can be seen growing
    try:
        for name in ("carol", "dora"):
            password = f"{name}-Pass-{os.urandom(6).hex()}"
            _, token = ai_hub.add_account(name, password)
            ai_hub.spawn(name, token, {"profile": available_profiles[0]})
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            log_in(page, ai_hub.url, name, password)
            page.goto(f"{ai_hub.url}/user/{name}/lab")
            first_visit(page)
            fake.requests.clear()
            ask_in_chat(page, "what is six times seven?", ai_hub, name)
            answer = page.locator(".jp-chat-messages-container").get_by_text("Hello from")
            if name == "carol":
                # Then the answer grows word by word in the chat, then is whole
                answer.wait_for(timeout=60_000)
                partial = answer.inner_text()
                assert partial != ANSWER and ANSWER.startswith(partial.strip()), partial
                page.get_by_text(ANSWER).wait_for(timeout=30_000)
                assert fake.requests[-1]["body"]["stream"] is True
                page.screenshot(path=ai_hub.tmp / "chat.png")
                # And the chat's model picker offers the policy's models, not LiteLLM's
                page.get_by_text("Model", exact=True).locator("visible=true").first.click()
                names = page.locator(".jp-jai-controlMenu-name")
                names.first.wait_for(timeout=30_000)
                listed = [n for n in names.all_inner_texts() if not n.startswith("Default")]
                page.screenshot(path=ai_hub.tmp / "chat-model-picker.png")
                assert listed == offered_models(ai_hub), listed
                page.keyboard.press("Escape")
            else:
                # Then dora, over her budget, reads why in the chat, and nothing was sent
                page.get_by_text("Over budget").wait_for(timeout=60_000)
                assert fake.requests == []
                page.screenshot(path=ai_hub.tmp / "chat-over-budget.png")
            page.close()
    finally:
        fake.delay = 0.005


# -- JupyterLab's AI actions (hubkit_lab.ai): the server extension asks through the gateway --

FIX = "The variable is `total`, not `totl`.\n```python\ntotal = 6 * 7\nprint('fixed:', total)\n```"


def running_server(hub, user: str, profile: str) -> str:
    """The user's server, started if it is not running; their token."""
    token = hub.tokens.get(user) or hub.add_account(user)[1]
    hub.tokens[user] = token
    if not hub.api("GET", f"/users/{user}", token).json()["servers"].get(""):
        hub.spawn(user, token, {"profile": profile})
    return token


def lab_ai(hub, user: str, token: str, action: str, body: dict) -> requests.Response:
    return requests.post(
        f"{hub.url}/user/{user}/hubkit-lab/ai/{action}",
        headers={"Authorization": f"token {token}"},
        json=body,
        timeout=60,
    )


def last_prompt(fake) -> str:
    return fake.requests[-1]["body"]["messages"][-1]["content"]


def test_ai_actions_ask_through_the_gateway_with_the_servers_credential(
    ai_hub, fake, available_profiles
):
    token = running_server(ai_hub, "alice", available_profiles[0])
    fake.requests.clear()
    before = usage_of(ai_hub, "alice")["requests"]
    try:
        # Given a failed cell: "Fix this error" sends its source and traceback (colours removed)
        fake.answer = FIX
        error = {
            "ename": "NameError",
            "evalue": "name 'totl' is not defined",
            "traceback": ["\x1b[0;31mNameError\x1b[0m: name 'totl' is not defined"],
        }
        r = lab_ai(ai_hub, "alice", token, "fix", {"source": "print(totl)", "error": error})
        assert r.status_code == 200, r.text
        # Then the proposed source is the model's code, with its explanation beside it
        assert r.json() == {
            "source": "total = 6 * 7\nprint('fixed:', total)",
            "explanation": "The variable is `total`, not `totl`.",
        }
        prompt = last_prompt(fake)
        assert "print(totl)" in prompt and "NameError: name 'totl' is not defined" in prompt
        assert "\x1b" not in prompt
        # And the vendor got the admin's key, the model the policy's default; alice is charged
        assert fake.requests[-1]["headers"]["X-Api-Key"] == ANTHROPIC_KEY
        assert fake.requests[-1]["body"]["model"] == MODEL
        assert usage_of(ai_hub, "alice")["requests"] == before + 1
        # A SQL cell's fix keeps its magic line when the model leaves it out
        fake.answer = "```sql\nSELECT 1\n```"
        sql = {"source": "%%sql_cell -c duckdb -o df\nSELEC 1", "error": error}
        r = lab_ai(ai_hub, "alice", token, "fix", sql)
        assert r.json()["source"] == "%%sql_cell -c duckdb -o df\nSELECT 1"
        # "Explain this cell": the model's Markdown as it is
        fake.answer = "**Prints** the total."
        r = lab_ai(ai_hub, "alice", token, "explain", {"source": "print(total)"})
        assert r.json() == {"markdown": "**Prints** the total."}
        # "Generate a cell" below a SQL cell: SQL, with the connection's tables and columns
        shop = ai_hub.tmp / "homes" / "alice" / "ai-shop.db"
        if not shop.exists():
            make_shop(shop)
        r = requests.post(
            f"{ai_hub.url}/user/alice/hubkit-lab/connections",
            headers={"Authorization": f"token {token}"},
            json={"name": "aishop", "url": f"sqlite:///{shop}"},
            timeout=30,
        )
        assert r.status_code in (200, 201, 409), r.text
        fake.answer = "```sql\nSELECT name FROM customers\n```"
        ask = {"prompt": "names of customers", "connection": "aishop"}
        r = lab_ai(ai_hub, "alice", token, "generate", ask)
        assert r.json() == {"source": "SELECT name FROM customers", "language": "sql"}, r.text
        prompt = last_prompt(fake)
        assert "main.customers(id INTEGER primary key, name TEXT)" in prompt, prompt
        assert "customer_id INTEGER" in prompt and "names of customers" in prompt
        # A Python cell without a connection
        fake.answer = "```python\nprint(42)\n```"
        r = lab_ai(ai_hub, "alice", token, "generate", {"prompt": "print the answer"})
        assert r.json() == {"source": "print(42)", "language": "python"}
        # Inline completion: the code around the cursor; the text to insert, without fences
        fake.answer = "```python\n * 7)\n```"
        around = {"prefix": "total = 6", "suffix": "\nprint(total)", "language": "Python"}
        r = lab_ai(ai_hub, "alice", token, "complete", around)
        assert r.json() == {"completion": " * 7)"}, r.text
        assert "total = 6<CURSOR>\nprint(total)" in last_prompt(fake)
        assert fake.requests[-1]["body"]["max_tokens"] == 256
        # Bad input is named
        r = lab_ai(ai_hub, "alice", token, "generate", {"prompt": "x", "connection": "nope"})
        assert r.status_code == 404 and "nope" in r.json()["message"]
        r = lab_ai(ai_hub, "alice", token, "fix", {"source": "x"})
        assert r.status_code == 400 and "'error'" in r.json()["message"]
    finally:
        fake.answer = ANSWER


def test_ai_actions_show_the_gateways_message_when_it_refuses(ai_hub, fake, available_profiles):
    token = running_server(ai_hub, "broke", available_profiles[0])
    fake.requests.clear()
    # Over budget: the gateway's message and status, and nothing reaches the vendor
    r = lab_ai(ai_hub, "broke", token, "explain", {"source": "print(1)"})
    assert r.status_code == 429, r.text
    assert r.json()["message"].startswith("Over budget") and "renews on" in r.json()["message"]
    assert fake.requests == []
    # An upstream error, as the gateway words it
    alice = running_server(ai_hub, "alice", available_profiles[0])
    r = lab_ai(ai_hub, "alice", alice, "explain", {"source": "[529] overloaded?"})
    assert r.status_code == 529, r.text
    assert "Anthropic is overloaded" in r.json()["message"]


ANALYSES_CODE = """
import json, pandas as pd
from hubkit_kernel.ai import describe
df = pd.DataFrame({
    "customer": ["Zebulon Quaxley", "Ottoline Vask", None, "Zebulon Quaxley"],
    "amount": [1234.567, 89.25, 77777.5, 3.125],
    "day": pd.to_datetime(["2031-02-03", "2031-02-04", "2031-02-05", "2031-02-06"]),
})
print("PRIVATE", json.dumps(describe(df)))
print("SAMPLE", json.dumps(describe(df, 5)))
"""


async def test_suggest_analyses_sends_rows_only_when_allowed(ai_hub, fake, available_profiles):
    # Given a DataFrame in alice's kernel, described by the kernel library
    token = running_server(ai_hub, "alice", available_profiles[0])
    out = await ai_hub.execute("alice", token, "python3", ANALYSES_CODE)
    lines = {
        line.split(" ", 1)[0]: line.split(" ", 1)[1] for line in out.splitlines() if " " in line
    }
    assert "PRIVATE" in lines, out
    private, sample = json.loads(lines["PRIVATE"]), json.loads(lines["SAMPLE"])
    values = ("Zebulon", "Ottoline", "1234.567", "89.25", "77777.5", "3.125", "2031-02")
    fake.answer = "## Totals per customer\nSum `amount` by `customer`."
    fake.requests.clear()
    try:
        # When she asks for analyses without "include sample rows"
        r = lab_ai(ai_hub, "alice", token, "analyses", {"name": "df", "summary": private})
        assert r.json() == {"markdown": fake.answer}, r.text
        # Then the model sees the schema and statistics, and no value of any row
        sent = json.dumps(fake.requests[-1]["body"])
        assert "customer" in sent and "amount" in sent and "datetime64" in sent
        assert '\\"rows\\": 4' in sent and '\\"nulls\\": 1' in sent
        assert not [v for v in values if v in sent], sent
        # When she allows sample rows, they are sent
        r = lab_ai(ai_hub, "alice", token, "analyses", {"name": "df", "summary": sample})
        assert r.status_code == 200
        sent = json.dumps(fake.requests[-1]["body"])
        assert all(v in sent for v in values), sent
    finally:
        fake.answer = ANSWER


def open_notebook(hub, page, user: str, token: str, source: str) -> None:
    """A notebook with one Python cell, opened in the user's JupyterLab."""
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    upload_notebook(hub, user, token, "fix.ipynb", notebook)
    page.goto(f"{hub.url}/user/{user}/lab/tree/fix.ipynb?reset")
    page.wait_for_selector(".jp-Notebook .jp-CodeCell", timeout=120_000)


def run_cell(page, expect: str, shot) -> None:
    """Run the notebook's first cell (Ctrl+Enter in its editor) once its kernel is ready, and
    wait until `expect` shows."""
    wait_for_kernel(page)
    page.locator(".jp-CodeCell .cm-content").first.click()
    page.wait_for_selector(".jp-Notebook.jp-mod-editMode", timeout=30_000)
    page.keyboard.press("Control+Enter")
    try:
        page.get_by_text(expect).first.wait_for(timeout=90_000)
    except Exception as error:
        page.screenshot(path=shot)
        raise AssertionError(f"running the cell never showed {expect!r}: see {shot}") from error


def ask_for_a_fix(page):
    """Press the failed cell's "Fix this error" button; the dialog with the diff."""
    page.locator(".jp-CodeCell .jp-cell-toolbar [data-command='hubkit-lab:ai-fix-error']").click()
    dialog = page.locator(".jp-Dialog:has(.hk-AiDiff)")
    dialog.wait_for(timeout=60_000)
    return dialog


@pytest.mark.browser
def test_fix_this_error_shows_a_diff_and_accepting_it_fixes_the_cell(
    ai_hub, fake, available_profiles, browser
):

    password = f"erin-Pass-{os.urandom(6).hex()}"
    _, token = ai_hub.add_account("erin", password)
    ai_hub.spawn("erin", token, {"profile": available_profiles[0]})
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    log_in(page, ai_hub.url, "erin", password)
    fake.answer = FIX
    try:
        # Given a cell that fails
        open_notebook(ai_hub, page, "erin", token, "print('fixed:', totl)")
        run_cell(page, "NameError", ai_hub.tmp / "fix-run-failed.png")
        # When she presses "Fix this error": the old and new source as a diff
        dialog = ask_for_a_fix(page)
        assert "The variable is total, not totl." in dialog.inner_text()
        removed = dialog.locator(".hk-AiDiff-removed .hk-AiDiff-code").all_inner_texts()
        added = dialog.locator(".hk-AiDiff-added .hk-AiDiff-code").all_inner_texts()
        assert removed == ["print('fixed:', totl)"], removed
        assert added == ["total = 6 * 7", "print('fixed:', total)"], added
        dialog.screenshot(path=ai_hub.tmp / "fix-diff-light.png")
        # When she rejects it, the cell stays as it was
        dialog.get_by_role("button", name="Reject").click()
        editor = page.locator(".jp-CodeCell .cm-content").first
        assert editor.inner_text() == "print('fixed:', totl)"
        # In the dark theme, the same dialog; she accepts
        use_theme(page, "JupyterLab Dark")
        dialog = ask_for_a_fix(page)
        dialog.screenshot(path=ai_hub.tmp / "fix-diff-dark.png")
        dialog.get_by_role("button", name="Accept").click()
        # Then the cell holds the fix, and running it prints its output
        page.wait_for_function(
            "() => document.querySelector('.jp-CodeCell .cm-content').innerText"
            ".includes('total = 6 * 7')"
        )
        run_cell(page, "fixed: 42", ai_hub.tmp / "fix-rerun-failed.png")
        assert "totl" in fake.requests[-1]["body"]["messages"][-1]["content"]
        # Inline completion: Alt+\\ at the end of the cell shows the model's suggestion as
        # ghost text, and Tab accepts it
        fake.answer = "print('doubled:', total * 2)"
        editor.click()
        page.keyboard.press("Control+End")
        page.keyboard.press("Enter")
        page.keyboard.press("Alt+Backslash")
        ghost = page.locator(".jp-GhostText")
        ghost.wait_for(timeout=60_000)
        assert "doubled" in ghost.inner_text()
        page.screenshot(path=ai_hub.tmp / "inline-completion-dark.png")
        assert "total = 6 * 7" in last_prompt(fake) and "<CURSOR>" in last_prompt(fake)
        page.keyboard.press("Tab")
        page.wait_for_function(
            "() => document.querySelector('.jp-CodeCell .cm-content').innerText"
            ".includes(\"print('doubled:', total * 2)\")"
        )
    finally:
        fake.answer = ANSWER
        page.close()


def test_a_users_own_key_saved_in_jupyter_ai_is_readable_by_them_only(ai_hub, available_profiles):
    # Given alice's server
    running_server(ai_hub, "alice", available_profiles[0])
    base = f"{ai_hub.url}/user/alice/api/jupyternaut/secrets"
    headers = {"Authorization": f"token {ai_hub.tokens['alice']}"}
    dotenv = ai_hub.tmp / "homes" / "alice" / ".env"
    key = "sk-own-" + os.urandom(8).hex()
    # When she saves a key of her own in jupyter-ai's settings (a vendor the hub does not
    # serve, so her other requests still go through the gateway)
    secret = {"updated_secrets": {"MISTRAL_API_KEY": key}}
    r = requests.put(base, json=secret, headers=headers, timeout=30)
    try:
        assert r.status_code == 204, r.text
        # Then it is in her home's .env, readable and writable by her alone
        assert "MISTRAL_API_KEY" in dotenv.read_text() and key in dotenv.read_text()
        assert oct(dotenv.stat().st_mode & 0o777) == oct(0o600)
    finally:
        forget = {"updated_secrets": {"MISTRAL_API_KEY": None}}
        requests.put(base, json=forget, headers=headers, timeout=30)


# -- HUBKIT_AI=false: servers start without jupyter-ai (envs/python/etc/hubkit/ai-off) ---------

AI_OFF = Path("etc", "hubkit", "ai-off")
AI_ROUTES = ("/api/jupyternaut/config", "/api/ai/models/chat")
# What the server log says of each server extension it loads (and of slow imports)
LOADED = re.compile(r"^.* (\w+) \| extension was successfully loaded", re.M)
IMPORT_TIME = re.compile(r"Extension package (\w+) took ([\d.]+)s to import")
# The lab extensions jupyter-ai brings (itself, the chat, the tools its agents use)
AI_LAB_EXTENSION = re.compile(r"jupyter-ai|chat|ai-commands|commands-toolkit|diff|input-footer")


@pytest.fixture(scope="module")
def off_hub(tmp_path_factory, catalog, layout, available_profiles):
    """A hub with its AI off, and the admin's server started."""
    with HubServer(tmp_path_factory.mktemp("ai-off"), catalog, layout, HUBKIT_AI="false") as hub:
        hub.spawn(ADMIN, hub.admin_token, {"profile": available_profiles[0]})
        yield hub


def server_facts(hub, user: str, token: str) -> dict:
    """What a user's running server offers: jupyter-ai's routes, the lab page's extensions,
    the server extensions its log says it loaded at its last start."""
    headers = {"Authorization": f"token {token}"}
    base = f"{hub.url}/user/{user}"
    page = requests.get(f"{base}/lab", headers=headers, timeout=60)
    page.raise_for_status()
    config = json.loads(
        re.search(r'id="jupyter-config-data"[^>]*>(.*?)</script>', page.text, re.S).group(1)
    )
    log = Path(hub.env["HUBKIT_HOMES_DIR"], user, ".local/state/hubkit/jupyter-server.log")
    last_start = log.read_text().split("--- hubkit: starting")[-1]
    routes = {r: requests.get(base + r, headers=headers, timeout=30).status_code for r in AI_ROUTES}
    return {
        "routes": routes,
        "extensions": {e["name"] for e in config["federated_extensions"]},
        "disabled": set(config["disabledExtensions"]),
        "loaded": set(LOADED.findall(last_start)),
        "imports": {name: float(s) for name, s in IMPORT_TIME.findall(last_start)},
    }


def test_with_the_hubs_ai_off_servers_start_without_jupyter_ai(
    ai_hub, off_hub, catalog, layout, available_profiles
):
    slug = available_profiles[0]
    folder = layout.server_venv(catalog, slug) / AI_OFF
    off_servers = json.loads((folder / "jupyter_server_config.json").read_text())
    off_servers = set(off_servers["ServerApp"]["jpserver_extensions"])
    off_lab = json.loads((folder / "labconfig" / "page_config.json").read_text())
    off_lab = set(off_lab["disabledExtensions"])
    # Given a server of the AI hub (HUBKIT_AI on, the default) and one of a hub with it off
    on = server_facts(ai_hub, "alice", running_server(ai_hub, "alice", slug))
    off = server_facts(off_hub, ADMIN, off_hub.admin_token)
    # Then with the AI on, jupyter-ai's routes answer, its server extensions (and the chat's)
    # load and none of its lab extensions is disabled
    assert on["routes"] == dict.fromkeys(AI_ROUTES, 200), on["routes"]
    assert {"jupyter_ai_jupyternaut", "jupyter_ai_router", "jupyterlab_chat"} <= on["loaded"]
    assert not on["disabled"] & off_lab, on["disabled"]
    # And with it off, none of it: no route, no server extension (nor its import time),
    # jupyter-ai's lab extensions, the chat and JupyterLab's AI actions disabled in the page
    assert off["routes"] == dict.fromkeys(AI_ROUTES, 404), off["routes"]
    assert not off["loaded"] & off_servers, off["loaded"] & off_servers
    assert not set(off["imports"]) & off_servers, off["imports"]
    assert off_lab <= off["disabled"], off_lab - off["disabled"]
    assert {"@jupyter-ai/router", "jupyterlab-chat-extension", "@hubkit/lab:ai-actions"} <= off_lab
    # And the lists miss nothing installed (a new extension of jupyter-ai's would load again):
    # every AI lab extension the page lists is disabled, and the server extensions are the
    # same but for those switched off (the project's own included)
    ai_lab = {name for name in on["extensions"] if AI_LAB_EXTENSION.search(name)}
    assert ai_lab <= off_lab, ai_lab - off_lab
    assert on["loaded"] - off_servers == off["loaded"], on["loaded"] ^ off["loaded"]
    assert "hubkit_lab" in off["loaded"]


@pytest.mark.browser
def test_with_the_hubs_ai_off_jupyterlab_has_no_chat_nor_ai_actions_and_no_errors(off_hub, browser):

    page = browser.new_page(viewport={"width": 1300, "height": 800})
    errors = console_errors(page)
    # Given the admin's JupyterLab on the hub with its AI off, and a cell that failed
    log_in(page, off_hub.url, ADMIN, ADMIN_PASSWORD)
    page.goto(f"{off_hub.url}/user/{ADMIN}/lab")
    first_visit(page)
    notebook = ".jp-NotebookPanel:visible"
    page.click(".jp-Launcher:visible .jp-LauncherCard[data-category='Notebook'][title*='Python']")
    wait_for_kernel(page)
    page.click(f"{notebook} .jp-Cell:last-child .cm-content")
    page.keyboard.type("totl * 2")
    page.keyboard.press("Shift+Enter")
    page.wait_for_selector(
        f"{notebook} .jp-OutputArea-output:has-text('NameError')", timeout=60_000
    )
    page.click(f"{notebook} .jp-Cell >> nth=0")
    # When its context menu opens
    page.click(f"{notebook} .jp-Cell >> nth=0", button="right")
    page.locator(".lm-Menu").get_by_text("Delete Cell").wait_for(timeout=10_000)
    page.screenshot(path=off_hub.tmp / "ai-off.png")
    # Then no AI action is offered, on the cell's toolbar or in the menu, and there is no chat
    assert not page.get_by_text("Fix this error").count()
    assert not page.get_by_text("Explain this cell").count()
    assert not page.locator("[data-command='hubkit-lab:ai-fix-error']:visible").count()
    tabs = page.eval_on_selector_all(".lm-TabBar-tab", "els => els.map(e => e.title)")
    assert not [t for t in tabs if "chat" in t.lower()], tabs
    # And nothing failed in the browser (no plugin missing the chat, no AI endpoint asked)
    page.keyboard.press("Escape")
    page.wait_for_timeout(2000)
    assert errors == [], errors
    page.close()
