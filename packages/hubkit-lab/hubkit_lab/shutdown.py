"""Lets a server stopped while a notebook is open in a browser exit at once.

jupyter-collaboration's document rooms keep the tasks that own AnyIO's worker threads alive;
the server's loop stops around them, and the interpreter then waits forever for those
(non-daemon) threads. The hub gives up after its timeouts and kills the server: "Stop My
Server" and the idle culler took 60 s instead of 1 (jupyterlab/jupyter-collaboration#161 and
#503; the fix, PR #546, is not in jupyter-collaboration 5.0.4).
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import contextlib
import queue
import threading

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
