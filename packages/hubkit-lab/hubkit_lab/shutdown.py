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
    """Save every collaborative document with changes not yet saved; returns how many.

    jupyter-collaboration saves a document a second after its last change
    (`YDocExtension.document_save_delay`) and cancels that save when the server stops. The
    YStore has those last edits, but at the next start the room finds the file older than the
    store, takes the file's content as the truth and rewrites the shared text to match it: the
    edits of that last second are lost, and text typed around them comes back garbled in the
    browsers that reconnect (tests/hub/test_collaboration.py shows it on stock 5.0.4).
    """
    pending = []
    for apps in serverapp.extension_manager.extension_apps.values():
        for app in apps:
            rooms = getattr(getattr(app, "ywebsocket_server", None), "rooms", {})
            for room in list(rooms.values()):
                saving = getattr(room, "_saving_document", None)
                if saving is not None and not saving.done():
                    task = room._save_to_disc()
                    if task is not None:
                        pending.append(task)
    if pending:
        await asyncio.wait(pending, timeout=timeout)
        serverapp.log.info("hubkit_lab: saved %d open document(s) before stopping", len(pending))
    return len(pending)


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
