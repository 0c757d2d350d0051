"""Writes `name.gz` beside every JupyterLab asset, so the server sends it without compressing.

Opening JupyterLab with hubkit's extension set fetches about 160 scripts (14 MB). Compressed on
the fly, they keep the server's only thread busy for about 0.5 s per page load, while the
browser waits: the extensions' scripts arrive 0.45 s after they are asked for. The server
extension (hubkit_lab.precompressed) sends these files as they are; compressed once here, at
the highest level, they are also smaller on the wire.

Each `.gz` takes its file's modification time, and the server sends it only while the two
times are equal: a file changed or replaced by an upgrade, even by an older one, is sent
itself until this runs again. Run with the environment's Python after every install
(`python -m hubkit_lab.precompress`; envs/python/etc/hubkit/post-install.d runs it last, so it
compresses what earlier scripts patched). MANIFEST lists the `.gz` files it made, so that it
removes only its own once their file is gone, and only `.gz` files under share/jupyter.
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import argparse
import gzip
import os
import sys
from pathlib import Path

# Only these are compressed: text that compresses well. Fonts (.woff2 is compressed already),
# images and the `.gz` files extensions ship are sent as they are.
SUFFIXES = {".js", ".css", ".json", ".svg", ".html", ".txt"}
# tornado does not compress shorter responses either (GZipContentEncoding.MIN_LENGTH)
MIN_LENGTH = 1024
MANIFEST_NAME = "hubkit-precompressed.txt"


def precompress(path: Path) -> bool:
    """Make path.gz current unless compressing does not pay; whether it is current."""
    target = path.with_name(path.name + ".gz")
    original = path.stat()
    if target.is_file() and target.stat().st_mtime_ns == original.st_mtime_ns:
        return True
    data = path.read_bytes()
    packed = gzip.compress(data, compresslevel=9, mtime=0)
    if len(data) < MIN_LENGTH or len(packed) >= len(data):
        return False
    partial = target.with_name(target.name + ".partial")  # never a half-written .gz
    partial.write_bytes(packed)
    os.utime(partial, ns=(original.st_atime_ns, original.st_mtime_ns))
    partial.replace(target)
    return True


def removable(share: Path, entry: str) -> Path | None:
    """The file a manifest entry names, if it may be removed: a `.gz` under share/jupyter.

    The manifest is a plain file in the prefix; an entry edited (or written by something else)
    to name another file must not make this delete it.
    """
    path = Path(os.path.normpath(share / entry))
    if path.suffix != ".gz" or not path.is_relative_to(share) or path == share:
        return None
    return path


def run(prefix: Path) -> int:
    """Precompress the assets of the environment at prefix; what to exit with."""
    share = Path(prefix, "share", "jupyter")
    manifest = Path(prefix, MANIFEST_NAME)
    # What a page load asks for: JupyterLab's own bundles and the prebuilt extensions' bundles
    roots = [share / "lab" / "static", share / "labextensions"]
    listed = manifest.read_text().splitlines() if manifest.is_file() else []
    previous = {entry for entry in listed if entry.strip()}
    assets = [
        path
        for root in roots
        if root.is_dir()
        for path in sorted(root.rglob("*"))
        if path.suffix in SUFFIXES and path.is_file()
    ]
    made = {f"{path.relative_to(share)}.gz" for path in assets if precompress(path)}
    refused = []
    for gone in sorted(previous - made):  # its file was removed, or no longer pays to compress
        path = removable(share, gone)
        if path is None:
            refused.append(gone)
        else:
            path.unlink(missing_ok=True)
    manifest.write_text("".join(f"{name}\n" for name in sorted(made)))
    for entry in refused:
        print(f"lab assets: not removing {entry!r} (not a .gz under {share})", file=sys.stderr)
    if made != previous:
        print(f"lab assets: {len(made)} files have a current .gz beside them")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Command line: `python -m hubkit_lab.precompress [--prefix PREFIX]`."""
    parser = argparse.ArgumentParser(
        prog="python -m hubkit_lab.precompress",
        description="Write name.gz beside JupyterLab's assets in an environment.",
    )
    parser.add_argument(
        "--prefix",
        type=Path,
        default=Path(sys.prefix),
        help="the environment's prefix (default: this Python's, %(default)s)",
    )
    args = parser.parse_args(argv)
    return run(args.prefix.absolute())


if __name__ == "__main__":
    sys.exit(main())
