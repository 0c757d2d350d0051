"""The admins' usage page: per user, the server's state, profile, last activity, CPU and memory
in use and the storage of the home, against the quota.

Served by the hub itself (/hub/usage, JSON at /hub/api/hubkit/usage) because only the hub's
spawners know where each server runs (a local process id, a container). Access needs unfiltered
read:users and read:servers: admins and the read-only monitoring role, not plain users. Both
take no parameters: any given are ignored.
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import psutil
from jinja2 import ChoiceLoader, FileSystemLoader
from jupyterhub import orm
from jupyterhub.apihandlers.base import APIHandler
from jupyterhub.handlers import BaseHandler
from jupyterhub.scopes import needs_scope

from ..bounds import MAX_OPTION_CHARS
from .ai_gateway.store import UsageStore

TEMPLATES = Path(__file__).with_name("templates")


@dataclass
class ServerUsage:
    cpu_percent: float  # 100 = one core busy
    memory_bytes: int


def process_tree_usage(pid: int, interval: float = 0.3) -> ServerUsage | None:
    """CPU and resident memory of a process and all its children (kernels, language servers)."""
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return None
    alive = []
    for p in procs:
        try:
            p.cpu_percent(None)
            alive.append(p)
        except psutil.Error:
            pass
    time.sleep(interval)
    cpu = memory = 0.0
    for p in alive:
        try:
            cpu += p.cpu_percent(None)
            memory += p.memory_info().rss
        except psutil.Error:
            pass
    return ServerUsage(cpu_percent=round(cpu, 1), memory_bytes=int(memory))


def container_usage(stats: dict[str, Any]) -> ServerUsage | None:
    """From `docker stats --no-stream` JSON, computed as the docker CLI does."""
    try:
        cpu, pre = stats["cpu_stats"], stats.get("precpu_stats") or {}
        cpu_delta = cpu["cpu_usage"]["total_usage"] - pre.get("cpu_usage", {}).get("total_usage", 0)
        system_delta = cpu.get("system_cpu_usage", 0) - pre.get("system_cpu_usage", 0)
        cpus = cpu.get("online_cpus") or len(cpu["cpu_usage"].get("percpu_usage") or [1])
        percent = cpu_delta / system_delta * cpus * 100 if system_delta > 0 else 0.0
        memory = stats["memory_stats"]
        used = memory.get("usage", 0) - (memory.get("stats") or {}).get("inactive_file", 0)
    except (KeyError, TypeError):
        return None
    return ServerUsage(cpu_percent=round(percent, 1), memory_bytes=max(0, int(used)))


def volume_bytes(df: dict[str, Any], name: str) -> int | None:
    """A named volume's size from `docker system df -v` JSON (the API's /system/df)."""
    for volume in df.get("Volumes") or []:
        if volume.get("Name") == name:
            size = (volume.get("UsageData") or {}).get("Size", -1)
            return size if size >= 0 else None
    return None


def directory_bytes(path: Path) -> int | None:
    """Bytes allocated on disk below `path` (as du), not following symlinks."""
    if not path.is_dir():
        return None
    total = 0
    for root, dirs, files in os.walk(path, onerror=lambda e: None):
        for name in files + dirs:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(root, name)).st_blocks * 512
    return total


def quota_status(used: int | None, quota: int | None, warn_ratio: float) -> dict[str, Any]:
    """The home's use of its quota; flagged from `warn_ratio` of it (the spawner's
    `home_quota_warning`)."""
    percent = round(100 * used / quota, 1) if used is not None and quota else None
    return {
        "home_bytes": used,
        "quota_bytes": quota,
        "quota_percent": percent,
        "quota_warn_percent": round(100 * warn_ratio, 1) if quota else None,
        "quota_warning": percent is not None and percent >= 100 * warn_ratio,
    }


def shown_options(stored: object) -> dict[str, str]:
    """The stored options an admin is shown: profile and size, when they are short strings.

    A refused spawn leaves them as they were (ProfileSpawnerMixin.apply_profile_options), but
    JupyterHub's PATCH /hub/api/users/<name>/server stores any user_options without asking the
    spawner: what a user wrote there never reaches the admin's screen (issue 17).
    """
    if not isinstance(stored, dict):
        return {}
    return {
        key: value
        for key, value in stored.items()
        if key in ("profile", "size") and isinstance(value, str) and len(value) <= MAX_OPTION_CHARS
    }


async def user_usage(handler: BaseHandler, orm_user: orm.User) -> dict[str, Any]:
    user = handler.users[orm_user]
    spawner = user.spawners[""]
    if spawner.ready:
        state = "running"
    elif spawner.pending:
        state = spawner.pending
    else:
        state = "stopped"
    row: dict[str, Any] = {
        "name": user.name,
        "admin": user.admin,
        "state": state,
        "user_options": shown_options(spawner.orm_spawner.user_options),
        "last_activity": orm_user.last_activity.isoformat() + "Z"
        if orm_user.last_activity
        else None,
        "cpu_percent": None,
        "memory_bytes": None,
    }
    try:
        if state == "running" and hasattr(spawner, "get_usage"):
            server = await spawner.get_usage()
            if server:
                row.update(asdict(server))
        used = await spawner.get_home_bytes() if hasattr(spawner, "get_home_bytes") else None
    except Exception as e:  # one broken server must not hide everyone else's usage
        handler.log.warning("Usage of %s unavailable: %s", spawner._log_name, e)
        used = None
    row.update(
        quota_status(
            used, getattr(spawner, "home_quota", None), getattr(spawner, "home_quota_warning", 1)
        )
    )
    if row["quota_warning"]:
        handler.log.warning("Home of %s uses %s%% of its quota", user.name, row["quota_percent"])
    return row


async def collect(handler: BaseHandler) -> list[dict[str, Any]]:
    users = handler.db.query(orm.User).order_by(orm.User.name).all()
    rows = list(await asyncio.gather(*(user_usage(handler, u) for u in users)))
    # This month's AI use through the gateway (hubkit.hub.ai_gateway.store), when it runs.
    url = handler.settings.get("hubkit_ai_db_url")
    ai = await asyncio.to_thread(UsageStore.at(url).per_user) if url else {}
    for row in rows:
        row["ai"] = ai.get(row["name"], {"requests": 0, "tokens": 0, "cost_usd": 0.0})
    return rows


class UsageAPIHandler(APIHandler):
    """GET /hub/api/hubkit/usage: the usage rows as JSON, for scripts and monitoring."""

    @needs_scope("read:users")
    @needs_scope("read:servers")
    async def get(self):
        self.write({"users": await collect(self)})


class UsagePageHandler(BaseHandler):
    """GET /hub/usage: the usage rows as a page in the hub's own look."""

    _loader_added = False

    @needs_scope("read:users")
    @needs_scope("read:servers")
    async def get(self):
        if not UsagePageHandler._loader_added:
            env = self.settings["jinja2_env"]
            env.loader = ChoiceLoader([env.loader, FileSystemLoader(str(TEMPLATES))])
            UsagePageHandler._loader_added = True
        rows = await collect(self)
        html = await self.render_template(
            "usage.html",
            rows=rows,
            warnings=[r for r in rows if r["quota_warning"]],
            human=human_bytes,
        )
        self.finish(html)


def human_bytes(n: int | None) -> str:
    if n is None:
        return "-"
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1024 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


default_handlers = [(r"/usage", UsagePageHandler), (r"/api/hubkit/usage", UsageAPIHandler)]
