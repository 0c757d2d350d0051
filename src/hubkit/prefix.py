"""Finish an environment's prefix after its packages are installed: copy the environment
folders' etc/ and share/ into it, remove JupyterLab extensions the catalog drops, and run the
post-install scripts (etc/hubkit/post-install.d/*.py, in name order, with the prefix's Python).

The one implementation for local mode's venvs (hubkit.local) and the images
(images/layer/hubkit-install-lock runs this file with the prefix's Python). Standard library
only, so the image build can run it before hubkit exists anywhere:

    python prefix.py --prefix /opt/envs/python --drop jupysql-plugin envs/python envs/sql
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

# Folders of an environment folder copied into its prefix.
PREFIX_FOLDERS = ("etc", "share")
POST_INSTALL_DIR = Path("etc", "hubkit", "post-install.d")
# Lists the files copied last time, so that files since removed from envs/ are deleted.
RECORD = "hubkit-prefix-files.txt"


def environment_files(folder: Path) -> list[Path]:
    """The files of an environment folder's etc/ and share/, relative to the folder."""
    return sorted(
        path.relative_to(folder)
        for sub in PREFIX_FOLDERS
        for path in (folder / sub).rglob("*")
        if path.is_file()
    )


def finish_prefix(prefix: Path, folders: list[Path], drop: list[str]) -> list[str]:
    """Copy the folders' files (root environment first), drop extensions, run the scripts;
    returns the files copied, relative to the prefix."""
    record = prefix / RECORD
    previous = set(record.read_text().splitlines()) if record.is_file() else set()
    copied: set[str] = set()
    for folder in folders:
        for relative in environment_files(folder):
            target = prefix / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(folder / relative, target)
            copied.add(relative.as_posix())
    for name in drop:
        shutil.rmtree(prefix / "share" / "jupyter" / "labextensions" / name, ignore_errors=True)
    for stale in previous - copied:
        (prefix / stale).unlink(missing_ok=True)
    record.write_text("".join(f"{name}\n" for name in sorted(copied)))
    for script in sorted((prefix / POST_INSTALL_DIR).glob("*.py")):
        subprocess.run([str(prefix / "bin" / "python"), str(script)], check=True)
    return sorted(copied)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prefix", type=Path, required=True)
    parser.add_argument("--drop", action="append", default=[], help="extension to remove")
    parser.add_argument("folders", nargs="*", type=Path, help="environment folders, root first")
    args = parser.parse_args(argv)
    drop = [name for value in args.drop for name in value.split()]
    finish_prefix(args.prefix, args.folders, drop)
    return 0


if __name__ == "__main__":
    sys.exit(main())
