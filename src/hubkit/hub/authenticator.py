"""NativeAuthenticator with the admin account bootstrapped, JupyterHub 6 login fixed, passwords of
any length, bounded input and a lockout that survives restarts.

NativeAuthenticator 1.3.0's LoginHandler times logins with `self.statsd`, which JupyterHub 6
removed, so every POST /hub/login answered 500; `LoginHandler.post` below replaces it (remove it
once NativeAuthenticator releases a fix; tests/hub/test_accounts.py logs in for real).
Its failed-login counter is a dict in memory; `HubkitAuthenticator` keeps it in the hub
database instead (hubkit.hub.lockout), through NativeAuthenticator's documented methods. Its
`authenticate` hashes the password with bcrypt (a quarter CPU-second) on the hub's event loop,
so simultaneous logins queue and the whole hub stalls; ours hashes in worker threads, leaving
a core to the event loop.
It hashes passwords with plain bcrypt, which refuses more than 72 bytes (a long passphrase
answered 500): new and changed passwords are stored as bcrypt of a SHA-256 digest instead
(hubkit.hub.credentials), old hashes still verify, and the pages that check a password go through
`HubkitAuthenticator.password_matches`. Its admin pages answered 500 or redirected for names
without an account; they answer 404 (issue 17). Its authorize and discard links change an
account on a plain GET, which any other site could make the admin's browser send: they are
refused unless the browser says the request came from the hub's own pages (`same_origin`).
JupyterHub 6.1.1's logout clears the browser's cookie but leaves it valid (the user's
cookie_id is never changed), so a copied session cookie outlived the logout: ours changes it.
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import asyncio
import math
import os
from concurrent.futures import ThreadPoolExecutor
from functools import cached_property
from urllib.parse import urlparse

from jupyterhub.handlers.login import LogoutHandler as JupyterHubLogoutHandler
from jupyterhub.scopes import needs_scope
from jupyterhub.utils import new_token
from nativeauthenticator import NativeAuthenticator
from nativeauthenticator import handlers as native
from nativeauthenticator.orm import UserInfo
from tornado import web
from traitlets import Integer, Unicode

from ..bounds import quote
from . import display_names, projects, server_api, usage
from .credentials import (
    MAX_USERNAME_CHARS,
    PREHASHED,
    check_password,
    password_digest,
    username_problem,
)
from .lockout import LoginAttemptStore, create_table


class _PolicyChecked(str):
    """A password digest handed to NativeAuthenticator's create_user/change_password, which hash
    whatever they get with bcrypt: the password policy already ran on the real password."""


def require_account(handler: web.RequestHandler, name: str) -> None:
    """404 for a name without an account (NativeAuthenticator's pages answered 500 or 302).
    Exact, not normalized: the pages look the name up as it is given."""
    if username_problem(name) or UserInfo.find(handler.db, name) is None:
        raise web.HTTPError(404, "No account named %s", quote(name))


# Sec-Fetch-Site values of a request the admin made on the hub's own pages, or typed ("none").
SAME_ORIGIN = ("same-origin", "none")


def same_origin(handler: web.RequestHandler) -> bool:
    """Whether the browser says the request comes from the hub's own pages: its Sec-Fetch-Site
    (sent by every current browser, never settable by a page), or, from browsers without it,
    a Referer on this host. Neither (a bare client, a page sending no referrer): no."""
    headers = handler.request.headers
    site = headers.get("Sec-Fetch-Site")
    if site is not None:
        return site in SAME_ORIGIN
    referer = urlparse(headers.get("Referer", ""))
    return bool(referer.netloc) and referer.netloc == handler.request.host


def refuse_cross_site(handler: web.RequestHandler) -> None:
    """403 for a request that changes an account on a GET and did not come from the hub."""
    if not same_origin(handler):
        raise web.HTTPError(
            403,
            "Refused: this link changes an account and works only from the hub's own "
            "authorize page (the request came from another site or gave no origin).",
        )


class LogoutHandler(JupyterHubLogoutHandler):
    """JupyterHub's logout, which also ends the session for good: a new cookie_id makes every
    cookie issued so far invalid (JupyterHub 6.1.1 only asks the browser to forget it). This
    logs the user out of their other browsers too."""

    async def handle_logout(self) -> None:
        user = self.current_user
        if user is not None and hasattr(user, "orm_user"):
            user.orm_user.cookie_id = new_token()
            self.db.commit()


class LoginHandler(native.LoginHandler):
    """NativeAuthenticator's login page on JupyterHub 6, with its POST rewritten: JupyterHub 6 has
    no statsd (every POST answered 500), and a refused login was checked again with plain bcrypt
    on the event loop, which cannot read hubkit's hashes."""

    async def post(self):
        data = {arg: self.get_argument(arg, strip=False) for arg in self.request.arguments}
        user = await self.login_user(data)
        if user:
            self._jupyterhub_user = user
            self.redirect(self.get_next_url(user))
            return
        username = data.get("username", "")
        error = "Invalid username or password."
        if await self.authenticator.awaits_approval(username, data.get("password", "")):
            error = f"User {username} has not been authorized by an administrator yet."
        self.finish(await self._render(login_error=error, username=username))

    async def _render(self, login_error=None, username=None):
        # A refused name is shown back in the form: at most as long as a real one.
        username = (username or "")[:MAX_USERNAME_CHARS]
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


class SignUpHandler(native.SignUpHandler):
    """The signup page, saying which bound a refused username or password broke, and asking
    for a display name (hubkit.hub.display_names)."""

    # The display-name field goes before this line of NativeAuthenticator's signup.html.
    FIELD_BEFORE = '<label for="password_input">'

    def render_template(self, name, sync=False, **ns):
        if name != "signup.html" or sync:
            return super().render_template(name, sync=sync, **ns)
        return self._signup_page(**ns)

    async def _signup_page(self, **ns) -> str:
        """NativeAuthenticator's signup.html with the display-name field."""
        html = await super().render_template("signup.html", **ns)
        display_names.add_templates(self)
        typed = ""
        if self.request.method == "POST":
            typed = self.get_body_argument(display_names.FIELD, "", strip=False)
        field = await super().render_template(
            "display-name-field.html",
            value=typed[: display_names.MAX_DISPLAY_NAME_CHARS],
            max_chars=display_names.MAX_DISPLAY_NAME_CHARS,
        )
        if self.FIELD_BEFORE not in html:
            raise RuntimeError("NativeAuthenticator's signup.html changed: no password field")
        return html.replace(self.FIELD_BEFORE, field + self.FIELD_BEFORE, 1)

    async def post(self):
        display_name = self.get_body_argument(display_names.FIELD, "", strip=False)
        problem = display_names.display_name_problem(display_name)
        if problem:
            self.set_status(400)
            html = await self.render_template(
                "signup.html",
                ask_email=self.authenticator.ask_email_on_signup,
                two_factor_auth=self.authenticator.allow_2fa,
                recaptcha_key=self.authenticator.recaptcha_key,
                tos=self.authenticator.tos,
                alert="alert-danger",
                result_message=problem,
            )
            self.finish(html)
            return
        username = self.authenticator.normalize_username(
            self.get_body_argument("username", "", strip=False)
        )
        existed = self.authenticator.user_exists(username)
        await super().post()
        if not existed and self.authenticator.user_exists(username):
            display_names.store(self.db, username, display_names.clean(display_name))

    def get_result_message(
        self, user, assume_user_is_human, username_already_taken, confirmation_matches, *rest
    ):
        if user is None and assume_user_is_human and confirmation_matches:
            problem = self.authenticator.signup_problem(
                self.get_body_argument("username", strip=False),
                self.get_body_argument("signup_password", strip=False),
            )
            if problem:
                return "alert-danger", problem
        return super().get_result_message(
            user, assume_user_is_human, username_already_taken, confirmation_matches, *rest
        )


class ChangePasswordHandler(native.ChangePasswordHandler):
    """The user's own password change, checking the current password with hubkit's hashes in
    the authenticator's worker threads (NativeAuthenticator 1.3.0 uses plain bcrypt)."""

    @web.authenticated
    async def post(self):
        user = await self.get_current_user()
        old, new, confirmation = (
            self.get_body_argument(name, strip=False)
            for name in ("old_password", "new_password", "new_password_confirmation")
        )
        account = self.authenticator.get_user(user.name)
        alert = "alert-danger"
        if account is None or not await self.authenticator.password_matches(account, old):
            message = "Your current password was incorrect. Please try again."
        elif new != confirmation:
            message = "Your new password didn't match the confirmation. Please try again."
        elif self.authenticator.change_password(user.name, new):
            alert, message = "alert-success", "Your password has been changed successfully!"
        else:
            message = self.authenticator.password_policy(new)
        html = await self.render_template(
            "change-password.html", user_name=user.name, result_message=message, alert=alert
        )
        self.finish(html)


class ChangePasswordAdminHandler(native.ChangePasswordAdminHandler):
    """An admin's password reset: 404 for unknown names (NativeAuthenticator's page matched
    names after normalizing them, so ALICE reset alice's password), and the length bound said
    plainly."""

    @needs_scope("admin:users")
    async def get(self, user_name):
        require_account(self, user_name)
        await super().get(user_name)

    @needs_scope("admin:users")
    async def post(self, user_name):
        require_account(self, user_name)
        new = self.get_body_argument("new_password", strip=False)
        if not self.authenticator.password_fits(new):
            html = await self.render_template(
                "change-password-admin.html",
                user_name=user_name,
                result_message=self.authenticator.password_policy(new),
                alert="alert-danger",
            )
            self.finish(html)
            return
        await super().post(user_name)


class ToggleAuthorizationHandler(native.ToggleAuthorizationHandler):
    """/hub/authorize/<name>: 404 for a name without an account (was a 500); refused from
    other sites."""

    @needs_scope("admin:users")
    async def get(self, slug):
        refuse_cross_site(self)
        require_account(self, slug)
        await super().get(slug)


class DiscardHandler(native.DiscardHandler):
    """/hub/discard/<name>: 404 for a name without an account (was a silent redirect); refused
    from other sites."""

    @needs_scope("admin:users")
    async def get(self, user_name):
        refuse_cross_site(self)
        require_account(self, user_name)
        await super().get(user_name)


HANDLERS = {
    native.LoginHandler: LoginHandler,
    native.SignUpHandler: SignUpHandler,
    native.ChangePasswordHandler: ChangePasswordHandler,
    native.ChangePasswordAdminHandler: ChangePasswordAdminHandler,
    native.ToggleAuthorizationHandler: ToggleAuthorizationHandler,
    native.DiscardHandler: DiscardHandler,
}


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
            display_names.create_table(self.db)
            self.bootstrap_admins()

    @cached_property
    def password_checkers(self) -> ThreadPoolExecutor:
        """Threads for bcrypt (which releases the GIL): one fewer than the CPUs, at least one."""
        workers = max(1, (os.cpu_count() or 1) - 1)
        return ThreadPoolExecutor(workers, thread_name_prefix="hubkit-bcrypt")

    max_password_bytes = Integer(
        1024,
        help="""Longest password accepted, in bytes of UTF-8 (most non-Latin characters take 2 to
        4). Any length up to this works: passwords are hashed as bcrypt of their SHA-256 digest.
        Signup and password changes over it are refused with a message saying so.

        .. versionadded:: 0.1""",
    ).tag(config=True)

    async def authenticate(self, handler, data: dict) -> dict | None:
        """NativeAuthenticator 1.3.0's check, with the bcrypt comparison off the event loop.
        The account is read on the loop: the hub's database session is not thread-safe.
        The user's display name goes to JupyterHub's `user_info` (hubkit.hub.display_names)."""
        username = self.normalize_username(data.get("username", ""))
        user = self.get_user(username)
        if not user or (self.allowed_failed_logins and self.is_blocked(username)):
            return None
        checks = [user.is_authorized, await self.password_matches(user, data.get("password", ""))]
        if user.has_2fa:
            checks.append(user.is_valid_token(data.get("2fa")))
        if all(checks):
            self.successful_login(username)
            name = display_names.get(self.db, username)
            return {"name": username, "user_info": display_names.user_info(name)}
        self.add_login_attempt(username)
        return None

    async def password_matches(self, user: UserInfo, password: str) -> bool:
        """Whether `password` is the account's, checked in the worker threads."""
        if not self.password_fits(password):
            return False
        return await asyncio.get_running_loop().run_in_executor(
            self.password_checkers, check_password, password, bytes(user.password)
        )

    async def awaits_approval(self, username: str, password: str) -> bool:
        """Whether a refused login had the right password of an account not authorized yet."""
        user = self.get_user(username)
        return bool(user and not user.is_authorized and await self.password_matches(user, password))

    # --- Accounts: bounded names, passwords of any length up to max_password_bytes ------------

    def get_user(self, username: str) -> UserInfo | None:
        # Names no account can have are not looked up: longer than NativeAuthenticator's
        # column, or with characters PostgreSQL refuses in text (NUL).
        if username_problem(username):
            return None
        return super().get_user(username)

    def validate_username(self, username: str) -> bool:
        return username_problem(username) is None and super().validate_username(username)

    def password_fits(self, password: str) -> bool:
        return len(password.encode()) <= self.max_password_bytes

    def is_password_strong(self, password: str) -> bool:
        if isinstance(password, _PolicyChecked):
            return True
        return self.password_fits(password) and super().is_password_strong(password)

    def password_policy(self, password: str) -> str:
        """Why a new password is refused, for the signup and change-password pages."""
        if not self.password_fits(password):
            return (
                f"Passwords have at most {self.max_password_bytes} bytes (UTF-8: most non-Latin "
                f"characters take 2 to 4); this one has {len(password.encode())}."
            )
        return (
            f"Be sure your new password has at least {self.minimum_password_length} "
            "characters and is not too common."
        )

    def signup_problem(self, username: str, password: str) -> str | None:
        """What a refused signup broke that NativeAuthenticator's message does not name."""
        problem = username_problem(self.normalize_username(username))
        if problem is None and not self.password_fits(password):
            problem = self.password_policy(password)
        return problem

    def create_user(self, username: str, password: str, **kwargs) -> UserInfo | None:
        """NativeAuthenticator's create_user (signup, admin bootstrap), storing hubkit's hash."""
        if not self.is_password_strong(password):
            return None
        user = super().create_user(
            username, _PolicyChecked(password_digest(password).decode()), **kwargs
        )
        if user is not None:
            self._mark_prehashed(user)
        return user

    def change_password(self, username: str, new_password: str) -> bool | None:
        """NativeAuthenticator's change_password, storing hubkit's hash."""
        if not self.is_password_strong(new_password):
            return None
        if not super().change_password(
            username, _PolicyChecked(password_digest(new_password).decode())
        ):
            return None
        self._mark_prehashed(self.get_user(username))
        return True

    def _mark_prehashed(self, user: UserInfo) -> None:
        # NativeAuthenticator stored bcrypt of the digest: the prefix tells check_password so.
        user.password = PREHASHED + bytes(user.password)
        self.db.commit()

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
        native_handlers = super().get_handlers(app)
        # Shared projects are applied in the hub too (JupyterHub has no REST API for roles),
        # from here: the one documented hook handed the hub before it serves.
        projects.start(app)
        # Ahead of JupyterHub's own handlers for the same paths (its PATCH of a server, logout).
        return [
            *((path, HANDLERS.get(handler, handler)) for path, handler in native_handlers),
            (r"/logout", LogoutHandler),
            *server_api.default_handlers,
            *usage.default_handlers,
            *display_names.default_handlers,
        ]
