"""Lets a server stopped while a notebook is open in a browser exit at once, after saving
the collaborative documents.

jupyter-collaboration's document rooms keep the tasks that own AnyIO's worker threads alive;
the server's loop stops around them, and the interpreter then waits forever for those
(non-daemon) threads. The hub gives up after its timeouts and kills the server: "Stop My
Server" and the idle culler took 60 s instead of 1 (jupyterlab/jupyter-collaboration#161 and
#503; the fix, PR #546, is not in jupyter-collaboration 5.0.4).
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jupyter_server.serverapp import ServerApp

# The name AnyIO gives its worker threads (anyio._backends._asyncio.WorkerThread)
WORKER_THREAD_NAME = "AnyIO worker thread"


def stop_anyio_workers() -> None:
    """Ask every idle AnyIO worker thread to end; a busy one ends with its job."""
    for thread in threading.enumerate():
        if thread.name == WORKER_THREAD_NAME and hasattr(thread, "stop"):
            with contextlib.suppress(queue.Full):
                thread.stop()


def register() -> None:
    """Call `stop_anyio_workers` when the interpreter exits, just before it joins the threads.

    `threading._register_atexit` is private: it is the hook concurrent.futures uses for its own
    workers, and the only moment after the server's loop has stopped and before the interpreter
    waits for non-daemon threads (`atexit` callbacks run after that wait).
    """
    threading._register_atexit(stop_anyio_workers)  # type: ignore[attr-defined]


async def save_open_documents(serverapp: ServerApp, timeout: float = 10) -> int:
    """Save every open collaborative document to its file and its whole state to the YStore;
    returns how many.

    jupyter-collaboration saves a document a second after its last change
    (`YDocExtension.document_save_delay`) and writes each update to the YStore in a task of
    its own; stopping the server cancels both. At the next start the room finds the file and
    the store out of step, takes the file as the truth and rewrites the shared text to match:
    the browsers that reconnect merge that rewrite with their own copy, and the last second's
    keystrokes come back lost or doubled and garbled (tests/hub/test_collaboration.py; stock
    jupyter-collaboration 5.0.4 does it too).
    """
    rooms = [
        room
        for apps in serverapp.extension_manager.extension_apps.values()
        for app in apps
        for room in list(getattr(getattr(app, "ywebsocket_server", None), "rooms", {}).values())
        if getattr(room, "ystore", None) is not None and hasattr(room, "_save_to_disc")
    ]

    async def save(room) -> None:
        saving = room._save_to_disc()  # at once, the pending autosave's delay skipped
        if saving is not None:
            await saving
        # one update holding the whole document, behind the store's queued writes
        await room.ystore.encode_state_as_update(room.ydoc)

    if rooms:
        await asyncio.wait([asyncio.create_task(save(room)) for room in rooms], timeout=timeout)
        serverapp.log.info("hubkit_lab: saved %d open document(s) before stopping", len(rooms))
    return len(rooms)


def save_documents_before_stopping(serverapp: ServerApp) -> None:
    """Run `save_open_documents` when the server stops, before the extensions (and so the
    collaboration rooms) are shut down. jupyter_server offers no hook before that moment to a
    module extension: the instance's `cleanup_extensions` is wrapped."""
    cleanup = serverapp.cleanup_extensions

    async def cleanup_extensions() -> None:
        try:
            await save_open_documents(serverapp)
        except Exception:  # never keep the server from stopping
            serverapp.log.exception("hubkit_lab: saving the open documents failed")
        await cleanup()

    serverapp.cleanup_extensions = cleanup_extensions  # type: ignore[method-assign]
