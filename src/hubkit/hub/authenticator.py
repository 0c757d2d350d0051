"""NativeAuthenticator with the admin account bootstrapped and JupyterHub 6 login fixed.

NativeAuthenticator 1.3.0's LoginHandler times logins with `self.statsd`, which JupyterHub 6
removed, so every POST /hub/login answers 500. `LoginHandler` below supplies a no-op timer;
remove it once NativeAuthenticator releases a fix (tests/hub/test_login.py logs in for real).
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

from nativeauthenticator import NativeAuthenticator
from nativeauthenticator.handlers import LoginHandler as NativeLoginHandler
from traitlets import Unicode


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
            self.bootstrap_admins()

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
        return [
            (path, LoginHandler if handler is NativeLoginHandler else handler)
            for path, handler in super().get_handlers(app)
        ]
