"""Local mode's spawner: each profile is a venv's JupyterLab started as a process."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import asyncio
import os
import subprocess
import time
from functools import cached_property
from pathlib import Path

from jupyterhub.spawner import SimpleLocalProcessSpawner
from traitlets import Integer, Unicode, default

from ...local import LocalLayout, pypi_status
from ...welcome import copy_welcome
from .. import usage
from .profile import DATASETS, TEMPLATES_ENV, ProfileSpawnerMixin, SpawnFailed


class LocalProfileSpawner(ProfileSpawnerMixin, SimpleLocalProcessSpawner):
    """Local mode: each profile is a venv's JupyterLab started as a process of the hub's user.

    Limits are advisory here (reported to jupyter-resource-usage, not enforced); use Docker
    for isolation.
    """

    hubkit_home = Unicode(
        "",
        help="Local mode state folder (venvs, profiles, homes). Default: HUBKIT_HOME or .hubkit.",
    ).tag(config=True)

    @cached_property
    def layout(self) -> LocalLayout:
        if self.hubkit_home:
            return LocalLayout(Path(self.hubkit_home).resolve())
        return LocalLayout.default(self.catalog)

    server_log_template = Unicode(
        "{home}/.local/state/hubkit/jupyter-server.log",
        help="""Where the server's output is written (`{home}` is the user's home, `{username}`
        the user's name). Its last lines are shown when the server fails to start.""",
    ).tag(config=True)

    welcome_dir = Unicode(
        help="""Copied into a new user's home at their first start, once (hubkit.welcome):
        the welcome notebook and its sample data. Default: the repository's
        notebooks/welcome/home; empty: nothing is copied.""",
    ).tag(config=True)

    @default("welcome_dir")
    def _default_welcome_dir(self) -> str:
        return str(self.catalog.root / "notebooks" / "welcome" / "home")

    @default("templates_dir")
    def _default_templates_dir(self) -> str:
        return str(self.catalog.root / "notebooks" / "templates")

    @default("datasets_dir")
    def _default_datasets_dir(self) -> str:
        return str(self.layout.root / DATASETS)

    log_tail_lines = Integer(
        20, help="How many last lines of the server's log a failed start shows."
    ).tag(config=True)

    @default("home_dir_template")
    def _default_home_dir_template(self) -> str:
        return str(self.layout.homes_dir / "{username}")

    @property
    def server_log(self) -> Path:
        return Path(self.server_log_template.format(home=self.home_dir, username=self.user.name))

    @default("default_url")
    def _default_default_url(self) -> str:
        return "/lab"

    def available_profiles(self) -> list[str]:
        available = []
        for slug in self.catalog.profiles:
            if not (self.layout.profile_dir(slug) / "share" / "jupyter" / "kernels").is_dir():
                continue
            leaves = self.catalog.leaves(slug).values()
            if all(
                pypi_status(self.catalog, self.layout, leaf).available
                for leaf in leaves
                if leaf.local.source == "pypi"
            ):
                available.append(slug)
        return available

    def apply_profile(self, slug: str) -> None:
        venv = self.layout.server_venv(self.catalog, slug)
        self.cmd = [str(venv / "bin" / "jupyterhub-singleuser")]
        if os.geteuid() == 0:
            self.args = [*self.args, "--ServerApp.allow_root=True"]
        profile_dir = self.layout.profile_dir(slug)
        self.environment = {
            **self.environment,
            "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', os.defpath)}",
            "JUPYTER_PATH": str(profile_dir / "share" / "jupyter"),
            "JUPYTER_CONFIG_PATH": str(profile_dir / "etc" / "jupyter"),
            TEMPLATES_ENV: self.templates_dir,
        }
        self.environment.update(
            self.ai_off_environment(str(venv), self.environment["JUPYTER_CONFIG_PATH"])
        )

    def prepare_home(self) -> None:
        """The home's first-login content (once) and its link to the shared datasets."""
        home = Path(self.home_dir)
        home.mkdir(parents=True, exist_ok=True)
        if self.welcome_dir:
            copied = copy_welcome(home, Path(self.welcome_dir))
            if copied:
                self.log.info("Welcome files for %s: %s", self._log_name, ", ".join(copied))
        if self.datasets_dir:
            Path(self.datasets_dir).mkdir(parents=True, exist_ok=True)
            link = home / DATASETS
            if not link.exists() and not link.is_symlink():
                link.symlink_to(Path(self.datasets_dir).resolve(), target_is_directory=True)

    async def start(self):
        """Start the process and return only once its port answers.

        JupyterHub 6.1.1 answers a bare 500 (InvalidStateError) when the process dies while
        the hub waits for it; waiting here turns that into `SpawnFailed` with the log's tail.
        A start that hangs past `start_timeout` fails the same way; the hub then stops (kills)
        the process.
        """
        self.prepare_home()
        log_path = self.server_log
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with log_path.open("ab") as log:
            log.write(f"--- hubkit: starting at {time.ctime()}\n".encode())
            log.flush()
            self.popen_kwargs = {
                **self.popen_kwargs,
                "stdout": log,
                "stderr": subprocess.STDOUT,
            }
            ip, port = await super().start()
        # Give up just before the hub's own start_timeout, whose TimeoutError reaches REST
        # clients as a bare "Internal Server Error"; the hub still stops the process.
        deadline = time.monotonic() + max(0.5, self.start_timeout - 1)
        while True:
            status = self.proc.poll()
            if status is not None:
                message = f"Your server exited with status {status} while starting."
                self.log.error("%s: %s", self._log_name, message)
                raise SpawnFailed(message, tail(log_path, self.log_tail_lines))
            if await port_open(ip, port):
                return ip, port
            if time.monotonic() > deadline:
                message = f"Your server did not start within {self.start_timeout} seconds."
                self.log.error("%s: %s", self._log_name, message)
                raise SpawnFailed(message, tail(log_path, self.log_tail_lines))
            await asyncio.sleep(0.2)

    async def stop(self, now: bool = False) -> None:
        """Stop with SIGTERM, then SIGKILL after `term_timeout`; no SIGINT first.

        jupyterhub-singleuser turns SIGINT into a clean stop only when its stdin is a terminal;
        here SIGINT interrupts the loop and the server exits without jupyter_server's cleanup
        (extensions are not stopped, kernels are left to notice their parent is gone). SIGTERM
        runs that cleanup, as `docker stop` does for DockerProfileSpawner.
        """
        await super().stop(now=True)

    async def get_usage(self) -> usage.ServerUsage | None:
        if not self.pid:
            return None
        return await asyncio.to_thread(usage.process_tree_usage, self.pid)

    async def get_home_bytes(self) -> int | None:
        return await asyncio.to_thread(usage.directory_bytes, Path(self.home_dir))


async def port_open(ip: str, port: int) -> bool:
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(ip, port), 1)
    except (TimeoutError, OSError):
        return False
    writer.close()
    return True


def tail(path: Path, lines: int) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])
