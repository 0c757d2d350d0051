"""Render one platform of a conda-lock file (conda-lock.yml, format version 1) as install lists.

Writes `conda.txt`, an `@EXPLICIT` list for `micromamba create/install --file` (every package
by URL and md5: no solve), and `pip.txt`, pip requirements with hashes for the PyPI-only
packages (`pip install --no-deps --require-hashes`). Runs inside the image build, before any
environment exists, so it needs only Python 3 and PyYAML (Debian's python3-yaml) and no other
part of hubkit:

    python3 explicit.py --arch "$TARGETARCH" envs/sql/conda-lock.yml /tmp/locks/sql
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

# Docker's TARGETARCH (and conda's own names) -> conda platform
ARCHES = {
    "amd64": "linux-64",
    "arm64": "linux-aarch64",
    "linux-64": "linux-64",
    "linux-aarch64": "linux-aarch64",
}


class LockError(ValueError):
    """A lock file that cannot be installed; the message names the file and the problem."""


def load_lock(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text())
    except OSError as e:
        raise LockError(f"{path}: cannot read: {e.strerror}") from e
    except yaml.YAMLError as e:
        raise LockError(f"{path}: not valid YAML: {e}") from e
    if not isinstance(data, dict) or data.get("version") != 1 or "package" not in data:
        raise LockError(f"{path}: not a conda-lock file (version 1 with a `package` list)")
    return data


def render(lock: dict, platform: str, source: str = "conda-lock.yml") -> tuple[str, str]:
    """(explicit conda list, pip requirements) for one conda platform."""
    platforms = lock.get("metadata", {}).get("platforms", [])
    if platform not in platforms:
        raise LockError(f"{source}: not locked for {platform} (locked: {', '.join(platforms)})")
    conda = ["# Generated from " + source + f" for {platform}; do not edit.", "@EXPLICIT"]
    pip = [f"# Generated from {source} for {platform}; do not edit."]
    for pkg in lock["package"]:
        if pkg.get("platform") != platform or pkg.get("optional"):
            continue
        name, url, hashes = pkg.get("name"), pkg.get("url"), pkg.get("hash") or {}
        if not url:
            raise LockError(f"{source}: package {name!r} ({platform}) has no url")
        if pkg.get("manager") == "conda":
            if not hashes.get("md5"):
                raise LockError(f"{source}: package {name!r} ({platform}) has no md5")
            conda.append(f"{url}#{hashes['md5']}")
        elif pkg.get("manager") == "pip":
            if not hashes.get("sha256"):
                raise LockError(f"{source}: pip package {name!r} ({platform}) has no sha256")
            pip.append(f"{name} @ {url} --hash=sha256:{hashes['sha256']}")
        else:
            raise LockError(
                f"{source}: package {name!r} has unknown manager {pkg.get('manager')!r}"
            )
    if len(conda) == 2:
        raise LockError(f"{source}: no conda package locked for {platform}")
    return "\n".join(conda) + "\n", "\n".join(pip) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", required=True, help="amd64, arm64, linux-64 or linux-aarch64")
    parser.add_argument("lock", type=Path)
    parser.add_argument("out", type=Path)
    args = parser.parse_args(argv)
    try:
        platform = ARCHES.get(args.arch)
        if platform is None:
            raise LockError(f"unsupported architecture {args.arch!r}: use {', '.join(ARCHES)}")
        conda, pip = render(load_lock(args.lock), platform, str(args.lock))
    except LockError as e:
        print(f"hubkit-explicit-lock: error: {e}", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "conda.txt").write_text(conda)
    (args.out / "pip.txt").write_text(pip)
    return 0


if __name__ == "__main__":
    sys.exit(main())
