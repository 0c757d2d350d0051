"""A readable diff of package versions between two states of the locks, for the scheduled
lock-refresh pull request: per lock and platform, what was added, removed, upgraded.

    python -m hubkit.images.lockdiff --base origin/main envs/*/conda-lock.yml > diff.md
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import yaml

Versions = dict[tuple[str, str], str]  # (platform, package) -> version


def versions(lock_text: str | None) -> Versions:
    """Package versions of a conda-lock file (conda and pip packages alike)."""
    if not lock_text:
        return {}
    data = yaml.safe_load(lock_text) or {}
    out: Versions = {}
    for pkg in data.get("package", []):
        name = pkg["name"] if pkg.get("manager") == "conda" else f"{pkg['name']} (pip)"
        out[(pkg["platform"], name)] = str(pkg["version"])
    return out


def diff(old: Versions, new: Versions) -> list[tuple[str, str, str, str]]:
    """(platform, package, old version or '', new version or '') for every change, sorted."""
    keys = sorted(set(old) | set(new))
    return [
        (platform, name, old.get((platform, name), ""), new.get((platform, name), ""))
        for platform, name in keys
        if old.get((platform, name)) != new.get((platform, name))
    ]


def markdown(title: str, changes: list[tuple[str, str, str, str]]) -> str:
    """One section: a table of changes, or a line saying there are none."""
    lines = [f"### {title}", ""]
    if not changes:
        return "\n".join([*lines, "No version changes.", ""])
    lines += ["| platform | package | before | after |", "| --- | --- | --- | --- |"]
    for platform, name, before, after in changes:
        lines.append(f"| {platform} | {name} | {before or 'added'} | {after or 'removed'} |")
    return "\n".join([*lines, ""])


def git_show(ref: str, path: Path) -> str | None:
    result = subprocess.run(
        ["git", "show", f"{ref}:{path.as_posix()}"], capture_output=True, text=True
    )
    return result.stdout if result.returncode == 0 else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="HEAD", help="git ref of the old locks")
    parser.add_argument("locks", nargs="+", type=Path)
    args = parser.parse_args(argv)
    sections = []
    for lock in args.locks:
        old = versions(git_show(args.base, lock))
        new = versions(lock.read_text() if lock.is_file() else None)
        sections.append(markdown(lock.as_posix(), diff(old, new)))
    sys.stdout.write("\n".join(sections))
    return 0


if __name__ == "__main__":
    sys.exit(main())
