"""Display names: the name collaborators see (presence, comments), asked at signup, editable by
the user at /hub/display-name and set by an admin at /hub/display-name/<user>.

Stored in a hubkit table beside NativeAuthenticator's `users_info`, because a signup has no
JupyterHub user yet (it is made at the first login) and JupyterHub's `auth_state` needs an
encryption key the stack does not otherwise need. The hub hands the name on in JupyterHub's
own `user_info` of the user (`display_name`, `name`): written at every login and whenever the
name changes, it is what single-user servers read from the hub with a person's token
(`read:users:name` covers it), so a server learns a visitor's display name as well as its
owner's (hubkit_lab.identity adds initials and a colour).
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import unicodedata
from pathlib import Path

from jinja2 import ChoiceLoader, FileSystemLoader
from jupyterhub import orm
from jupyterhub.handlers import BaseHandler
from jupyterhub.orm import Base
from jupyterhub.scopes import needs_scope
from sqlalchemy import Column, String, Unicode, inspect
from sqlalchemy.orm import Session
from tornado import web

TEMPLATES = Path(__file__).with_name("templates")
# Long enough for a full name, short enough for a cursor's label and a comment's byline.
MAX_DISPLAY_NAME_CHARS = 64
# The form field's name, at signup and on the display-name page.
FIELD = "display_name"


class DisplayName(Base):
    """One account's display name."""

    __tablename__ = "hubkit_display_names"
    username = Column(String(255), primary_key=True)
    display_name = Column(Unicode(MAX_DISPLAY_NAME_CHARS), nullable=False)


def create_table(db: Session) -> None:
    if DisplayName.__tablename__ not in inspect(db.bind).get_table_names():
        DisplayName.__table__.create(db.bind)


def display_name_problem(name: str) -> str | None:
    """Why a display name is refused, or None. Empty means "none": the login name shows."""
    if any(unicodedata.category(c).startswith("C") for c in name):
        return "Display names cannot contain control or invisible formatting characters."
    if len(clean(name)) > MAX_DISPLAY_NAME_CHARS:
        return (
            f"Display names have at most {MAX_DISPLAY_NAME_CHARS} characters; "
            f"this one has {len(clean(name))}."
        )
    return None


def clean(name: str) -> str:
    """The name as stored: inner runs of spaces made one, none at the ends."""
    return " ".join(name.split())


def get(db: Session, username: str) -> str:
    row = db.get(DisplayName, username)
    return row.display_name if row else ""


def user_info(display_name: str) -> dict[str, str]:
    """JupyterHub's `user_info` for a display name (read by jupyterhub-singleuser's identity)."""
    return {"name": display_name, "display_name": display_name} if display_name else {}


def store(db: Session, username: str, name: str) -> None:
    """Keep `name` (checked and cleaned by the caller) and hand it to JupyterHub's user now, so
    servers see it within their cache time (HubAuth.cache_max_age) without a new login."""
    row = db.get(DisplayName, username)
    if name and row is None:
        db.add(DisplayName(username=username, display_name=name))
    elif name:
        row.display_name = name
    elif row is not None:
        db.delete(row)
    hub_user = orm.User.find(db, username)
    if hub_user is not None:
        hub_user.user_info = user_info(name) or None
    try:
        db.commit()
    except Exception:
        db.rollback()
        raise


def add_templates(handler: BaseHandler) -> None:
    """hubkit's templates after the hub's (idempotent)."""
    env = handler.settings["jinja2_env"]
    if not getattr(env, "_hubkit_templates", False):
        env.loader = ChoiceLoader([env.loader, FileSystemLoader(str(TEMPLATES))])
        env._hubkit_templates = True


class DisplayNameHandler(BaseHandler):
    """/hub/display-name: one's own display name; /hub/display-name/<user>: an admin sets it."""

    async def _target(self, username: str | None) -> str:
        user = self.current_user
        if user is None:
            raise web.HTTPError(403)
        if username is None or username == user.name:
            return user.name
        await self._admin_only(username)
        if not self.authenticator.user_exists(username):
            raise web.HTTPError(404, "No account named %s", username[:40])
        return username

    async def _render(self, username: str, value: str, alert: str = "", message: str = ""):
        add_templates(self)
        html = await self.render_template(
            "display-name.html",
            target=username,
            own=username == self.current_user.name,
            value=value,
            max_chars=MAX_DISPLAY_NAME_CHARS,
            alert=alert,
            message=message,
        )
        self.finish(html)

    @web.authenticated
    async def get(self, username: str | None = None) -> None:
        target = await self._target(username)
        await self._render(target, get(self.db, target))

    @web.authenticated
    async def post(self, username: str | None = None) -> None:
        target = await self._target(username)
        value = self.get_body_argument(FIELD, "", strip=False)
        problem = display_name_problem(value)
        if problem:
            self.set_status(400)
            await self._render(target, value[:MAX_DISPLAY_NAME_CHARS], "alert-danger", problem)
            return
        store(self.db, target, clean(value))
        shown = clean(value) or target
        await self._render(target, clean(value), "alert-success", f"Display name saved: {shown}")

    @needs_scope("admin:users")
    async def _admin_only(self, user_name: str) -> None:
        """Only admins (admin:users) set someone else's name."""


default_handlers = [
    (r"/display-name", DisplayNameHandler),
    (r"/display-name/([^/]+)", DisplayNameHandler),
]
