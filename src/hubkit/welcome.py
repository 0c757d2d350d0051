"""First login: copy the welcome notebook and its sample data into a new user's home, once.

A marker in the home records that it was done, so a user who deletes the notebook does not get it
back and a later login never overwrites what they changed; a file already in the home is never
replaced. The one implementation for local mode (the spawner calls `copy_welcome` before the
server starts) and the images (images/profile runs this file as `hubkit-welcome` from its start
hook, with the server prefix's Python). Standard library only, like hubkit.prefix:

    python welcome.py --source /opt/hubkit/welcome [--home ~]
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

# Relative to the home; under ~/.local/state like the server's log (hub/spawners/local.py).
# hubkit_lab.welcome reads it to open the welcome notebook once.
MARKER = Path(".local", "state", "hubkit", "welcome-copied")


def copy_welcome(home: Path, source: Path) -> list[str]:
    """Copy `source`'s files into `home` unless the marker says it was done; returns the files
    copied, relative to the home (none on every later call)."""
    marker = home / MARKER
    if marker.exists() or not source.is_dir():
        return []
    copied = []
    for path in sorted(source.rglob("*")):
        target = home / path.relative_to(source)
        if not path.is_file() or target.exists():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        # The user's own copy: writable whatever the (read-only, root-owned) source's mode.
        shutil.copyfile(path, target)
        target.chmod(0o644)
        copied.append(target.relative_to(home).as_posix())
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text("".join(f"{name}\n" for name in copied))
    return copied


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, required=True, help="the welcome folder")
    parser.add_argument("--home", type=Path, default=Path(os.path.expanduser("~")))
    args = parser.parse_args(argv)
    for name in copy_welcome(args.home, args.source):
        print(f"hubkit-welcome: copied {name}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
