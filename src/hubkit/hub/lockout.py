"""Failed-login counters kept in the hub database, so a hub restart does not reset a lockout.

NativeAuthenticator 1.3.0 counts failed logins in a dict in memory: restarting the hub (or
crashing it on purpose) gave an attacker a fresh set of attempts. This table lives next to
NativeAuthenticator's `users_info` in the same database and is created the same way.
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import time

from jupyterhub.orm import Base
from sqlalchemy import Column, Float, Integer, String, inspect
from sqlalchemy.orm import Session


class LoginAttempts(Base):
    """Consecutive failed logins of one username and when the last one happened."""

    __tablename__ = "hubkit_login_attempts"
    username = Column(String(255), primary_key=True)
    count = Column(Integer, nullable=False, default=0)
    # Seconds since the epoch: no timezone ambiguity between SQLite and PostgreSQL.
    last_failure = Column(Float, nullable=False, default=0.0)


def create_table(db: Session) -> None:
    if LoginAttempts.__tablename__ not in inspect(db.bind).get_table_names():
        LoginAttempts.__table__.create(db.bind)


class LoginAttemptStore:
    """Counts failed logins per username; a username is locked once it reaches `allowed`
    failures, until `lockout_seconds` have passed since the last one."""

    def __init__(self, db: Session, allowed: int, lockout_seconds: int) -> None:
        self.db, self.allowed, self.lockout_seconds = db, allowed, lockout_seconds

    def _find(self, username: str) -> LoginAttempts | None:
        return self.db.get(LoginAttempts, username)

    def seconds_left(self, username: str, now: float | None = None) -> float:
        """Seconds until `username` may try again; 0 when not locked."""
        row = self._find(username)
        if not self.allowed or row is None or row.count < self.allowed:
            return 0.0
        now = time.time() if now is None else now
        return max(0.0, row.last_failure + self.lockout_seconds - now)

    def add_failure(self, username: str, now: float | None = None) -> int:
        """Record a failed login; returns the current count."""
        now = time.time() if now is None else now
        row = self._find(username)
        if row is None:
            row = LoginAttempts(username=username, count=0, last_failure=now)
            self.db.add(row)
        elif self.allowed and row.count >= self.allowed and self.seconds_left(username, now) == 0:
            # The lockout is over: a new window starts instead of locking again at once.
            row.count = 0
        row.count += 1
        row.last_failure = now
        self.commit()
        return row.count

    def clear(self, username: str) -> None:
        row = self._find(username)
        if row is not None:
            self.db.delete(row)
            self.commit()

    def commit(self) -> None:
        try:
            self.db.commit()
        except Exception:
            self.db.rollback()
            raise
