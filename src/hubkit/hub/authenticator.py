"""NativeAuthenticator with the admin account bootstrapped, JupyterHub 6 login fixed and a
lockout that survives restarts.

NativeAuthenticator 1.3.0's LoginHandler times logins with `self.statsd`, which JupyterHub 6
removed, so every POST /hub/login answers 500. `LoginHandler` below supplies a no-op timer;
remove it once NativeAuthenticator releases a fix (tests/hub/test_accounts.py logs in for real).
Its failed-login counter is a dict in memory; `HubkitAuthenticator` keeps it in the hub
database instead (hubkit.hub.lockout), through NativeAuthenticator's documented methods. Its
`authenticate` hashes the password with bcrypt (a quarter CPU-second) on the hub's event loop,
so simultaneous logins queue and the whole hub stalls; ours hashes in worker threads, leaving
a core to the event loop.
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import asyncio
import math
import os
from concurrent.futures import ThreadPoolExecutor
from functools import cached_property

import bcrypt
from nativeauthenticator import NativeAuthenticator
from nativeauthenticator.handlers import LoginHandler as NativeLoginHandler
from traitlets import Unicode

from . import usage
from .lockout import LoginAttemptStore, create_table


class _NullTimer:
    def start(self) -> _NullTimer:
        return self

    def stop(self, send: bool = True) -> None:
        pass


class _NullStats:
    def timer(self, name: str) -> _NullTimer:
        return _NullTimer()


class LoginHandler(NativeLoginHandler):
    """NativeAuthenticator's login page on JupyterHub 6 (which has no statsd)."""

    @property
    def statsd(self) -> _NullStats:
        return _NullStats()

    async def _render(self, login_error=None, username=None):
        # Say why a correct password is refused while the account is locked, instead of
        # NativeAuthenticator's "Invalid username or password" (which invites more tries).
        if login_error and username:
            left = self.authenticator.lockout_seconds_left(username)
            if left:
                login_error = (
                    f"Too many failed logins: this account is locked for {math.ceil(left)} "
                    "more seconds."
                )
        return await super()._render(login_error=login_error, username=username)


class HubkitAuthenticator(NativeAuthenticator):
    """Self-contained accounts: signup with admin approval and a ready admin account."""

    admin_password = Unicode(
        "",
        help="""Initial password of the admin account (JUPYTER_PASSWORD). On start, each name
        in `admin_users` without an account gets one with this password, already authorized,
        so the first login needs no signup. Existing accounts are never changed.""",
    ).tag(config=True)

    def __init__(self, add_new_table: bool = True, **kwargs) -> None:
        super().__init__(add_new_table=add_new_table, **kwargs)
        if add_new_table:
            create_table(self.db)
            self.bootstrap_admins()

    @cached_property
    def password_checkers(self) -> ThreadPoolExecutor:
        """Threads for bcrypt (which releases the GIL): one fewer than the CPUs, at least one."""
        workers = max(1, (os.cpu_count() or 1) - 1)
        return ThreadPoolExecutor(workers, thread_name_prefix="hubkit-bcrypt")

    async def authenticate(self, handler, data: dict) -> str | None:
        """NativeAuthenticator 1.3.0's check, with the bcrypt comparison off the event loop.
        The account is read on the loop: the hub's database session is not thread-safe."""
        username = self.normalize_username(data["username"])
        user = self.get_user(username)
        if not user or (self.allowed_failed_logins and self.is_blocked(username)):
            return None
        password_ok = await asyncio.get_running_loop().run_in_executor(
            self.password_checkers, bcrypt.checkpw, data["password"].encode(), bytes(user.password)
        )
        checks = [user.is_authorized, password_ok]
        if user.has_2fa:
            checks.append(user.is_valid_token(data.get("2fa")))
        if all(checks):
            self.successful_login(username)
            return username
        self.add_login_attempt(username)
        return None

    # --- Failed logins, persisted: NativeAuthenticator's documented hooks ----------------------

    @cached_property
    def login_attempt_store(self) -> LoginAttemptStore:
        return LoginAttemptStore(self.db, self.allowed_failed_logins, self.seconds_before_next_try)

    def add_login_attempt(self, username: str) -> None:
        count = self.login_attempt_store.add_failure(username)
        if self.allowed_failed_logins and count >= self.allowed_failed_logins:
            self.log.warning(
                "Login for %s locked for %s s after %s failed attempts",
                username,
                self.seconds_before_next_try,
                count,
            )

    def can_try_to_login_again(self, username: str) -> bool:
        return self.login_attempt_store.seconds_left(username) == 0

    def is_blocked(self, username: str) -> bool:
        return not self.can_try_to_login_again(username)

    def successful_login(self, username: str) -> None:
        self.login_attempt_store.clear(username)

    def lockout_seconds_left(self, username: str) -> float:
        if not self.allowed_failed_logins:
            return 0.0
        return self.login_attempt_store.seconds_left(self.normalize_username(username))

    def bootstrap_admins(self) -> None:
        for name in sorted(self.admin_users):
            if self.user_exists(name):
                continue
            if not self.admin_password:
                self.log.warning("Admin %s has no account and no initial password is set", name)
                continue
            if not self.is_password_strong(self.admin_password):
                raise ValueError(
                    f"JUPYTER_PASSWORD is too weak for admin {name!r}: it needs at least "
                    f"{self.minimum_password_length} characters and must not be a common password"
                )
            enable_signup, self.enable_signup = self.enable_signup, True
            try:
                created = self.create_user(name, self.admin_password)
            finally:
                self.enable_signup = enable_signup
            if created is None:
                raise ValueError(f"could not create the admin account {name!r}")
            self.log.info("Created admin account %s", name)

    def get_handlers(self, app):
        # The usage page rides along here: Authenticator.get_handlers is the supported way to
        # add pages under /hub/ (JupyterHub.extra_handlers is deprecated since 3.1), and it
        # needs the hub's spawners, which a separate service cannot see.
        return [
            *(
                (path, LoginHandler if handler is NativeLoginHandler else handler)
                for path, handler in super().get_handlers(app)
            ),
            *usage.default_handlers,
        ]
