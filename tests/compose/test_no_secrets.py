"""A scan proving no secret is committed: private keys, and long high-entropy values assigned
to secret-looking names, in every file git tracks (stack.env itself must stay untracked)."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from hubkit import stackenv
from tests import ROOT

PRIVATE_KEY = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")
ASSIGNMENT = re.compile(
    r"(?i)\b(\w*(?:password|passwd|token|secret|api_?key)\w*)\b[\"']?\s*[:=]\s*[\"']?"
    r"([A-Za-z0-9+/_.~-]{20,})"
)
TOKEN_SHAPES = [
    re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36}\b"),  # GitHub
    re.compile(r"\bsk-(?:ant-)?[A-Za-z0-9_-]{32,}\b"),  # OpenAI / Anthropic
    re.compile(r"\bAKIA[0-9A-Z]{16}\b"),  # AWS access key
]
# Values that say they are test data (fixtures in tests/ use them) are not secrets.
FIXTURE = re.compile(r"(?i)test|dummy|fake|example|placeholder")
# Entropy of a random 20+ character secret; identifiers and URLs sit well below.
MIN_BITS = 80


def findings(path: Path, text: str) -> list[str]:
    out = []
    if PRIVATE_KEY.search(text):
        out.append(f"{path}: a private key")
    for shape in TOKEN_SHAPES:
        if shape.search(text):
            out.append(f"{path}: a token of the form {shape.pattern}")
    for name, value in ASSIGNMENT.findall(text):
        if value.startswith(("$", "CHANGE_ME")) or "{" in value or FIXTURE.search(value):
            continue
        if stackenv.entropy_bits(value) >= MIN_BITS and re.search(r"\d", value):
            out.append(f"{path}: {name} = {value[:6]}...")
    return out


def tracked_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    return [ROOT / name for name in listed.split("\0") if name]


def test_no_secret_in_tracked_files():
    problems = []
    for path in tracked_files():
        if not path.is_file() or path.stat().st_size > 2_000_000:
            continue
        try:
            text = path.read_text()
        except UnicodeDecodeError:
            continue
        problems += findings(path.relative_to(ROOT), text)
    assert problems == []


def test_stack_env_is_never_tracked():
    names = {p.name for p in tracked_files()}
    assert "stack.env" not in names and "local.env" not in names
    ignored = subprocess.run(["git", "check-ignore", "-q", "stack.env"], cwd=ROOT)
    assert ignored.returncode == 0, "stack.env is not in .gitignore"


def test_the_scan_finds_planted_secrets(tmp_path):
    import secrets

    generated = stackenv.render((ROOT / "example-stack.env").read_text())
    assert findings(Path("stack.env"), generated), "a generated stack.env must be caught"
    assert findings(Path("x.py"), f'api_key = "{secrets.token_urlsafe(24)}"')
    # built from parts so this file does not hold a key marker itself
    assert findings(Path("k"), "-----BEGIN OPENSSH " + "PRIVATE KEY-----\nabc\n")
    assert findings(Path("t"), "token: ghp_" + "a1B2" * 9)
    assert not findings(Path("ok"), "CONFIGPROXY_AUTH_TOKEN=CHANGE_ME\npassword_length = 10\n")
    assert not findings(Path("t.py"), 'TOKEN = "test-metrics-token-0123456789abcdef"')
