"""Tests for the server configuration the python environment ships (envs/python/etc/jupyter)."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import time
from pathlib import Path

import psutil
import pytest
import requests

from ..hubserver import ADMIN, ADMIN_PASSWORD

pytestmark = pytest.mark.slow
# pylsp with its "preload" plugin imports numpy, pandas, scipy, ... at initialize: about 250 MB.
PYLSP_MAX_RSS = 150 * 1024 * 1024


@pytest.fixture(scope="module")
def hub(module_hub, available_profiles):
    """The module's hub with the admin's server running (the first available profile)."""
    module_hub.spawn(ADMIN, module_hub.admin_token, {"profile": available_profiles[0]})
    return module_hub


def test_javascript_is_sent_precompressed_through_the_proxy(
    hub, catalog, layout, available_profiles
):
    # Given a running server, reached through the hub's proxy by a logged-in browser session
    prefix = layout.server_venv(catalog, available_profiles[0])
    session = hub.login(ADMIN, ADMIN_PASSWORD)
    page = session.get(f"{hub.url}/user/{ADMIN}/lab", timeout=60)
    page.raise_for_status()
    config = json.loads(
        re.search(r'id="jupyter-config-data"[^>]*>(.*?)</script>', page.text, re.S).group(1)
    )
    extension = next(e for e in config["federated_extensions"] if e["name"] == "@jupyterlab/git")
    main = re.search(r'<script[^>]* src="[^"]+/static/lab/(main\.[^"?]+\.js)', page.text).group(1)
    scripts = {  # URL -> the file on disk: JupyterLab's own code and an extension's
        f"/user/{ADMIN}/static/lab/{main}": prefix / "share/jupyter/lab/static" / main,
        f"/user/{ADMIN}/lab/extensions/{extension['name']}/{extension['load']}": (
            prefix / "share/jupyter/labextensions" / extension["name"] / extension["load"]
        ),
    }
    for url, path in scripts.items():
        # When JupyterLab's code is fetched as Chromium does
        r = session.get(
            f"{hub.url}{url}",
            headers={"Accept-Encoding": "gzip, deflate, br, zstd"},
            stream=True,
            timeout=60,
        )
        sent = r.raw.read(decode_content=False)
        # Then it arrives gzip-compressed: the file compressed at install time, sent as it is
        # (envs/python/etc/hubkit/post-install.d/90_precompress_lab_assets.py)
        assert r.status_code == 200, url
        assert r.headers.get("Content-Encoding") == "gzip", (url, dict(r.headers))
        assert r.headers["Content-Type"].endswith("javascript"), r.headers["Content-Type"]
        assert sent == path.with_name(path.name + ".gz").read_bytes(), url
        assert gzip.decompress(sent) == path.read_bytes(), url
        # And a client that takes no compression gets the file itself
        plain = session.get(f"{hub.url}{url}", headers={"Accept-Encoding": "identity"}, timeout=60)
        assert "Content-Encoding" not in plain.headers and plain.content == path.read_bytes()


def test_export_formats_are_offered(hub):
    # Given a running server (its config sets NBCONVERT_DISABLE_CONFIG_EXPORTERS)
    # When JupyterLab asks for the formats of its "Save and Export Notebook As" menu
    r = requests.get(
        f"{hub.url}/user/{ADMIN}/api/nbconvert",
        headers={"Authorization": f"token {hub.admin_token}"},
        timeout=60,
    )
    # Then every usual format is there
    r.raise_for_status()
    assert {"html", "latex", "markdown", "notebook", "pdf", "python", "script"} <= set(r.json())


def lsp_message(process: subprocess.Popen) -> dict:
    length = 0
    while line := process.stdout.readline().strip():
        name, value = line.split(b":", 1)
        if name.lower() == b"content-length":
            length = int(value)
    return json.loads(process.stdout.read(length))


def send(process: subprocess.Popen, message: dict) -> None:
    body = json.dumps({"jsonrpc": "2.0", **message}).encode()
    process.stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
    process.stdin.flush()


def reply(process: subprocess.Popen, request_id: int) -> dict:
    while (message := lsp_message(process)).get("id") != request_id:
        pass
    return message


def test_pylsp_starts_without_preloading_the_data_stack(server_venvs):
    for venv in server_venvs:
        # Given the language server command jupyter-lsp gets from the shipped config
        loaded = subprocess.run(
            [
                venv / "bin" / "python",
                "-c",
                "import json; from traitlets.config.loader import PyFileConfigLoader; "
                f"c = PyFileConfigLoader('jupyter_server_config.py', '{venv}/etc/jupyter')"
                ".load_config(); print(json.dumps(c.LanguageServerManager.language_servers))",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        argv = json.loads(loaded.stdout)["pylsp"]["argv"]
        process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        try:
            # When a notebook's code is opened, as jupyterlab-lsp does (no initializationOptions)
            send(
                process,
                {
                    "id": 1,
                    "method": "initialize",
                    "params": {"processId": None, "rootUri": None, "capabilities": {}},
                },
            )
            assert "completionProvider" in reply(process, 1)["result"]["capabilities"]
            send(process, {"method": "initialized", "params": {}})
            uri = "file:///tmp/hubkit-lsp-test.py"
            document = {"uri": uri, "languageId": "python", "version": 1, "text": "import json\n"}
            send(process, {"method": "textDocument/didOpen", "params": {"textDocument": document}})
            time.sleep(3)
            # Then the server stays small (the data stack was not preloaded) and yields the CPU
            assert psutil.Process(process.pid).nice() == 10
            rss = psutil.Process(process.pid).memory_info().rss
            assert rss < PYLSP_MAX_RSS, f"{venv}: pylsp uses {rss >> 20} MB idle"
            # And it still completes
            send(
                process,
                {
                    "id": 2,
                    "method": "textDocument/completion",
                    "params": {
                        "textDocument": {"uri": uri},
                        "position": {"line": 0, "character": 11},
                    },
                },
            )
            result = reply(process, 2)["result"]
            items = result["items"] if isinstance(result, dict) else result
            assert "json" in [item["label"] for item in items]
        finally:
            process.kill()
            process.wait()


def test_server_start_skips_unused_imports(server_venvs):
    for venv in server_venvs:
        # Given the server extensions the python environment enables
        listing = subprocess.run(
            [venv / "bin" / "jupyter", "server", "extension", "list"],
            capture_output=True,
            text=True,
            check=True,
        )
        output = listing.stdout + listing.stderr
        enabled = set(re.findall(r"^\s+(\S+) \x1b\[32menabled", output, re.M))
        # Then jupyter-ai's chat is on, its agent client and MCP server are off (catalog.yaml)
        assert {"jupyter_ai_router", "jupyter_ai_persona_manager", "jupyterlab_chat"} <= enabled
        assert not {"jupyter_ai_acp_client", "jupyter_server_mcp"} & enabled
        # And jsonschema (imported by every server start) does not build rfc3987-syntax's parsers
        imported = subprocess.run(
            [venv / "bin" / "python", "-c", "import sys, jsonschema; print(sorted(sys.modules))"],
            capture_output=True,
            text=True,
            check=True,
        )
        assert "'rfc3987_syntax'" not in imported.stdout and "'lark'" not in imported.stdout


def gzip_beside(script: Path) -> Path:
    """What the post-install script makes: script.gz, with the script's modification time."""
    packed = script.with_name(script.name + ".gz")
    packed.write_bytes(gzip.compress(script.read_bytes()))
    os.utime(packed, ns=(script.stat().st_atime_ns, script.stat().st_mtime_ns))
    return packed
