"""A collaborator without a browser: joins a notebook's shared document on a Jupyter server the
way JupyterLab does (jupyter-collaboration's session API, then the room's websocket with the Yjs
sync protocol, through pycrdt), edits a cell keystroke by keystroke and reports what it sees.

Runs with the Python of the server's environment (pycrdt, jupyter_ydoc, websockets), as a
script from the hub's tests:

    python collab_client.py <server url> <token> <notebook path> type --cell 1 --text "abc"

prints `joined` once the document is loaded, types, waits `--settle` seconds and prints the
notebook it ends with as JSON.
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import urllib.request
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import websockets
from jupyter_ydoc import YNotebook
from pycrdt import Channel, Provider


class WebsocketChannel(Channel):
    """pycrdt's channel over a `websockets` client connection."""

    def __init__(self, websocket: Any, path: str) -> None:
        self._websocket = websocket
        self._path = path

    @property
    def path(self) -> str:
        return self._path

    async def __anext__(self) -> bytes:
        try:
            return await self.recv()
        except websockets.ConnectionClosed:
            raise StopAsyncIteration() from None

    async def send(self, message: bytes) -> None:
        await self._websocket.send(message)

    async def recv(self) -> bytes:
        return bytes(await self._websocket.recv())


@asynccontextmanager
async def joined(url: str, token: str, path: str) -> AsyncIterator[YNotebook]:
    """The notebook's shared document, kept in sync with the server's while inside."""
    headers = {"Authorization": f"token {token}", "Content-Type": "application/json"}
    request = urllib.request.Request(
        f"{url}/api/collaboration/session/{path}",
        data=json.dumps({"format": "json", "type": "notebook"}).encode(),
        headers=headers,
        method="PUT",
    )
    session = json.loads(await asyncio.to_thread(lambda: urllib.request.urlopen(request).read()))
    room = f"{session['format']}:{session['type']}:{session['fileId']}"
    ws_url = url.replace("http", "ws", 1) + (
        f"/api/collaboration/room/{room}?sessionId={session['sessionId']}"
    )
    notebook = YNotebook()
    async with (
        websockets.connect(
            ws_url, additional_headers={"Authorization": f"token {token}"}, max_size=None
        ) as ws,
        Provider(notebook.ydoc, WebsocketChannel(ws, room)),
    ):
        for _ in range(300):  # loaded: the server sent its cells
            if notebook.cell_number:
                break
            await asyncio.sleep(0.1)
        else:
            raise TimeoutError(f"{path}: the shared document did not load in 30 s")
        yield notebook


async def type_into(notebook: YNotebook, cell: int, text: str, delay: float) -> None:
    """Append `text` to a cell's source one character (one Yjs update) at a time."""
    for char in text:
        source = notebook.ycells[cell]["source"]
        source += char
        await asyncio.sleep(delay)


async def churn(notebook: YNotebook, cell: int, times: int, size: int, delay: float) -> None:
    """A long edit session in little text: `times` times, paste `size` characters at the end of
    a cell, then delete them (two updates each)."""
    block = ("0123456789abcdef" * (size // 16 + 1))[:size]
    for _ in range(times):
        source = notebook.ycells[cell]["source"]
        end = len(source)
        source.insert(end, block)
        await asyncio.sleep(delay)
        del source[end : end + size]
        await asyncio.sleep(delay)


async def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url")
    parser.add_argument("token")
    parser.add_argument("path")
    parser.add_argument("action", choices=["type"])
    parser.add_argument("--cell", type=int, default=0)
    parser.add_argument("--text", default="")
    parser.add_argument("--delay", type=float, default=0.05)
    parser.add_argument("--settle", type=float, default=2.0)
    args = parser.parse_args(argv)
    async with joined(args.url, args.token, args.path) as notebook:
        print("joined", flush=True)
        await type_into(notebook, args.cell, args.text, args.delay)
        await asyncio.sleep(args.settle)
        print(json.dumps(notebook.get()), flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
