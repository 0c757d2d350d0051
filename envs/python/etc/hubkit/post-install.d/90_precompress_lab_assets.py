"""Writes `name.gz` beside every JupyterLab asset, so the server sends it without compressing.

Opening JupyterLab with this extension set fetches about 160 scripts (14 MB). Compressed on
the fly, they keep the server's only thread busy for about 0.5 s per page load, while the
browser waits: the extensions' scripts arrive 0.45 s after they are asked for.
envs/python/etc/jupyter/jupyter_server_config.py serves these files as they are (tornado
cannot). Compressed once here, at the highest level, they are also smaller on the wire.

Runs with the environment's Python after every install (`hubkit local install`,
images/layer/hubkit-install-lock), last: it compresses files that earlier scripts patched.
A file is compressed again only when it is newer than its `.gz`. The server checks that too.
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

import gzip
import sys
from pathlib import Path

SHARE = Path(sys.prefix, "share", "jupyter")
# What a page load asks for: JupyterLab's own bundles and the prebuilt extensions' bundles
ROOTS = [SHARE / "lab" / "static", SHARE / "labextensions"]
SUFFIXES = {".js", ".css", ".json", ".svg", ".html", ".txt"}
# tornado does not compress shorter responses either (GZipContentEncoding.MIN_LENGTH)
MIN_LENGTH = 1024


def precompress(path: Path) -> bool:
    """Write path.gz unless it is current or would not be smaller; whether it wrote."""
    target = path.with_name(path.name + ".gz")
    if target.is_file() and target.stat().st_mtime >= path.stat().st_mtime:
        return False
    data = path.read_bytes()
    packed = gzip.compress(data, compresslevel=9, mtime=0)
    if len(data) < MIN_LENGTH or len(packed) >= len(data):
        target.unlink(missing_ok=True)
        return False
    target.write_bytes(packed)
    return True


def main() -> int:
    files = [path for root in ROOTS if root.is_dir() for path in sorted(root.rglob("*"))]
    for orphan in files:  # left by an upgrade that removed the original
        original = orphan.with_suffix("")
        if orphan.suffix == ".gz" and original.suffix in SUFFIXES and not original.exists():
            orphan.unlink()
    written = [p for p in files if p.suffix in SUFFIXES and p.is_file() and precompress(p)]
    if written:
        print(f"lab assets: {len(written)} files gzipped beside the originals")
    return 0


if __name__ == "__main__":
    sys.exit(main())
