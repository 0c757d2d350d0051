"""Writes `name.gz` beside every JupyterLab asset, so the server sends it without compressing.

Opening JupyterLab with this extension set fetches about 160 scripts (14 MB). Compressed on
the fly, they keep the server's only thread busy for about 0.5 s per page load, while the
browser waits: the extensions' scripts arrive 0.45 s after they are asked for.
envs/python/etc/jupyter/jupyter_server_config.py serves these files as they are (tornado
cannot). Compressed once here, at the highest level, they are also smaller on the wire.

Each `.gz` takes its file's modification time, and the server sends it only while the two
times are equal: a file changed or replaced by an upgrade, even by an older one, is sent
itself until this runs again. Runs with the environment's Python after every install
(`hubkit local install`, images/layer/hubkit-install-lock), last: it compresses what earlier
scripts patched. MANIFEST lists the `.gz` files it made, so that it removes only its own once
their file is gone.
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

import gzip
import os
import sys
from pathlib import Path

SHARE = Path(sys.prefix, "share", "jupyter")
# What a page load asks for: JupyterLab's own bundles and the prebuilt extensions' bundles
ROOTS = [SHARE / "lab" / "static", SHARE / "labextensions"]
SUFFIXES = {".js", ".css", ".json", ".svg", ".html", ".txt"}
# tornado does not compress shorter responses either (GZipContentEncoding.MIN_LENGTH)
MIN_LENGTH = 1024
MANIFEST = Path(sys.prefix, "hubkit-precompressed.txt")


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


def main() -> int:
    previous = set(MANIFEST.read_text().splitlines()) if MANIFEST.is_file() else set()
    assets = [
        path
        for root in ROOTS
        if root.is_dir()
        for path in sorted(root.rglob("*"))
        if path.suffix in SUFFIXES and path.is_file()
    ]
    made = {f"{path.relative_to(SHARE)}.gz" for path in assets if precompress(path)}
    for gone in previous - made:  # its file was removed, or no longer pays to compress
        (SHARE / gone).unlink(missing_ok=True)
    MANIFEST.write_text("".join(f"{name}\n" for name in sorted(made)))
    if made != previous:
        print(f"lab assets: {len(made)} files have a current .gz beside them")
    return 0


if __name__ == "__main__":
    sys.exit(main())
