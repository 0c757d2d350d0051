"""Accounts' input: the bounds of a username, and password hashes any length fits.

NativeAuthenticator hashes the password itself with bcrypt, which refuses more than 72 bytes
(HTTP 500 at signup, issue 17); here the password is first digested to 44 ASCII bytes.
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import hashlib
import unicodedata
from base64 import b64encode

import bcrypt

from ..policy import PROJECT_PREFIX

# NativeAuthenticator 1.3.0 stores usernames in VARCHAR(128) (PostgreSQL enforces it); JupyterHub
# itself allows 255.
MAX_USERNAME_CHARS = 128
# Prefix of hubkit's password hashes: bcrypt of the base64 SHA-256 digest of the password, as
# passlib's bcrypt_sha256 does, so any length fits bcrypt's 72-byte input. Hashes without it are
# NativeAuthenticator's plain bcrypt and keep working.
PREHASHED = b"$hubkit-sha256$"
# bcrypt reads at most 72 bytes; older versions cut longer input silently, bcrypt 5 refuses it.
BCRYPT_MAX_BYTES = 72


def username_problem(username: str) -> str | None:
    """Why a username cannot be an account (beyond JupyterHub's own rules), or None."""
    if len(username) > MAX_USERNAME_CHARS:
        return f"Usernames have at most {MAX_USERNAME_CHARS} characters."
    if any(unicodedata.category(c).startswith("C") for c in username):
        return "Usernames cannot contain control or invisible formatting characters."
    if username.startswith(PROJECT_PREFIX):
        # Shared projects' accounts (hub policy `projects`): nobody may log in as one.
        return f"Usernames starting with {PROJECT_PREFIX!r} are reserved for shared projects."
    return None


def password_digest(password: str) -> bytes:
    """44 ASCII bytes standing for the password: base64 of SHA-256 of its UTF-8 bytes."""
    return b64encode(hashlib.sha256(password.encode()).digest())


def check_password(password: str, stored: bytes) -> bool:
    """Whether `password` matches a stored hash: hubkit's prehashed bcrypt, or a plain bcrypt
    hash made by NativeAuthenticator (which hashed at most the first 72 bytes)."""
    if stored.startswith(PREHASHED):
        secret, stored = password_digest(password), stored[len(PREHASHED) :]
    else:
        secret = password.encode()[:BCRYPT_MAX_BYTES]
    try:
        return bcrypt.checkpw(secret, stored)
    except ValueError:  # not a bcrypt hash at all
        return False
