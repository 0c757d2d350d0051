"""Yjs clients of a notebook on a Jupyter server with jupyter-collaboration, for the tests and
benchmarks: each `Editor` is one person's JupyterLab as the collaboration protocol sees it (the
session request, the room's websocket with that person's token, pycrdt's sync protocol,
jupyter_ydoc's YNotebook), without a browser. Like JupyterLab's provider, it reconnects to the
same room URL (the first session id) after the server went away, and keeps its edits made
meanwhile in its document until the sync sends them."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable
from urllib.parse import quote

import tornado.httpclient
import tornado.websocket
from jupyter_ydoc import YNotebook
from pycrdt import Provider


class WebsocketChannel:
    """pycrdt's Channel over a tornado websocket. Sends while the connection is down are
    dropped, as y-websocket drops them: the next sync carries those edits."""

    def __init__(self, ws: tornado.websocket.WebSocketClientConnection, path: str) -> None:
        self._ws, self._path = ws, path
        self.closed = False  # the server closed it (or the connection dropped)

    @property
    def path(self) -> str:
        return self._path

    def __aiter__(self) -> WebsocketChannel:
        return self

    async def __anext__(self) -> bytes:
        message = await self._ws.read_message()
        if message is None:
            self.closed = True
            raise StopAsyncIteration
        return message if isinstance(message, bytes) else message.encode()

    async def recv(self) -> bytes:
        return await self.__anext__()

    async def send(self, message: bytes) -> None:
        with contextlib.suppress(tornado.websocket.WebSocketClosedError):
            await self._ws.write_message(message, binary=True)


class RoomRefused(RuntimeError):
    """The server closed the room's websocket at once: JupyterLab would ask to reload."""


class Editor:
    """One person editing the notebook `path` on the server at `server` (e.g.
    `http://hub/user/alice`) with their own `token`."""

    def __init__(self, server: str, token: str, path: str) -> None:
        self.server, self.path = server.rstrip("/"), path
        self.headers = {"Authorization": f"token {token}"}
        self.notebook = YNotebook()
        self.url = ""
        self.ws: tornado.websocket.WebSocketClientConnection | None = None
        self._channel: WebsocketChannel | None = None
        self._provider: Provider | None = None
        self._task: asyncio.Task | None = None

    async def __aenter__(self) -> Editor:
        await self.connect()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.disconnect()

    async def connect(self, timeout: float = 60) -> None:
        """Open the room (asking for a session the first time) and wait for the first sync."""
        if not self.url:
            r = await tornado.httpclient.AsyncHTTPClient().fetch(
                f"{self.server}/api/collaboration/session/{quote(self.path)}",
                method="PUT",
                body=json.dumps({"format": "json", "type": "notebook"}),
                headers=self.headers,
                request_timeout=timeout,
            )
            session = json.loads(r.body)
            room = f"{session['format']}:{session['type']}:{session['fileId']}"
            ws_server = self.server.replace("http", "ws", 1)
            self.url = f"{ws_server}/api/collaboration/room/{room}?sessionId={session['sessionId']}"
        request = tornado.httpclient.HTTPRequest(
            self.url, headers=self.headers, connect_timeout=timeout, request_timeout=timeout
        )
        self.ws = await tornado.websocket.websocket_connect(request)
        self._channel = WebsocketChannel(self.ws, self.path)
        self._provider = Provider(self.notebook.ydoc, self._channel)
        self._task = asyncio.create_task(self._provider.start())
        synced = asyncio.create_task(self._provider.synced.wait())
        closed = asyncio.create_task(self._closed())
        done, _ = await asyncio.wait(
            {synced, closed}, timeout=timeout, return_when="FIRST_COMPLETED"
        )
        for task in (synced, closed):
            task.cancel()
        if synced not in done:
            await self.disconnect()
            raise RoomRefused(f"{self.path}: {self.ws.close_code} {self.ws.close_reason}")

    async def _closed(self) -> None:
        while self.connected:
            await asyncio.sleep(0.05)

    @property
    def connected(self) -> bool:
        return (
            self.ws is not None
            and self.ws.close_code is None
            and not (self._channel is not None and self._channel.closed)
        )

    async def disconnect(self) -> None:
        if self._provider is not None and self._provider.started.is_set():
            with contextlib.suppress(Exception):
                await self._provider.stop()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(BaseException):
                await self._task
        if self.ws is not None:
            self.ws.close()
        self._provider = self._task = None

    async def reconnect(self, timeout: float = 120) -> float:
        """After the server went away: retry the same room URL every half second, as
        JupyterLab does, until it syncs; returns the seconds it took."""
        await self.disconnect()
        start = time.monotonic()
        while True:
            try:
                await self.connect(timeout=10)
                return time.monotonic() - start
            except (TimeoutError, OSError, tornado.httpclient.HTTPClientError):
                if time.monotonic() - start > timeout:
                    raise
                await asyncio.sleep(0.5)

    def source(self, cell: int) -> str:
        return str(self.notebook.ycells[cell]["source"])

    def key(self, cell: int, char: str, at: int | None = None) -> None:
        """One keystroke: `char` inserted in the cell's source at `at` (the end by default),
        one transaction and one update message, as an editor sends it."""
        text = self.notebook.ycells[cell]["source"]
        text.insert(len(text) if at is None else at, char)

    async def until(self, predicate: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise TimeoutError(f"{what} not reached within {timeout} s")
            await asyncio.sleep(0.02)
