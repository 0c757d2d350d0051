"""A real IPython kernel for tests: started with jupyter_client's KernelManager from this
environment, cells executed and their iopub messages collected."""

# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import os
import queue
import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Execution:
    """What one cell sent back: its reply status and iopub outputs."""

    status: str = ""
    outputs: list[dict[str, Any]] = field(default_factory=list)
    reply: dict[str, Any] = field(default_factory=dict)

    @property
    def stdout(self) -> str:
        return "".join(
            o["content"]["text"] for o in self.outputs
            if o["msg_type"] == "stream" and o["content"]["name"] == "stdout"
        )  # fmt: skip

    @property
    def stderr(self) -> str:
        return "".join(
            o["content"]["text"] for o in self.outputs
            if o["msg_type"] == "stream" and o["content"]["name"] == "stderr"
        )  # fmt: skip

    def data(self, mime: str) -> list[str]:
        return [
            o["content"]["data"][mime] for o in self.outputs
            if o["msg_type"] in ("display_data", "execute_result") and mime in o["content"]["data"]
        ]  # fmt: skip

    @property
    def errors(self) -> list[dict[str, Any]]:
        return [o["content"] for o in self.outputs if o["msg_type"] == "error"]


class KernelSession:
    def __init__(
        self,
        env: dict[str, str] | None = None,
        extra_arguments: list[str] | None = None,
        cwd: str | None = None,
    ):
        self.env = env or {}
        self.extra_arguments = extra_arguments or []
        self.cwd = cwd

    def __enter__(self) -> KernelSession:
        from jupyter_client.manager import KernelManager

        self.manager = KernelManager(kernel_name="python3")
        self.manager.start_kernel(
            env={**os.environ, **self.env},
            extra_arguments=self.extra_arguments,
            **({"cwd": self.cwd} if self.cwd else {}),
        )
        self.client = self.manager.client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=60)
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)

    def submit(self, code: str, **options: Any) -> str:
        """Send an execute_request (options as jupyter_client's: silent, user_expressions)."""
        return self.client.execute(code, **{"store_history": True, **options})

    def collect(self, msg_id: str, timeout: float = 60) -> Execution:
        result = Execution()
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no idle status for {msg_id} within {timeout} s")
            try:
                msg = self.client.get_iopub_msg(timeout=remaining)
            except queue.Empty:
                continue
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind = msg["msg_type"]
            if kind == "status" and msg["content"]["execution_state"] == "idle":
                break
            if kind in ("stream", "display_data", "execute_result", "error"):
                result.outputs.append({"msg_type": kind, "content": msg["content"]})
        while True:
            reply = self.client.get_shell_msg(timeout=timeout)
            if reply["parent_header"].get("msg_id") == msg_id:
                result.reply = reply["content"]
                result.status = reply["content"]["status"]
                return result

    def execute(self, code: str, timeout: float = 60, **options: Any) -> Execution:
        return self.collect(self.submit(code, **options), timeout)

    def interrupt(self) -> None:
        self.manager.interrupt_kernel()
