"""Tests for the install-time precompression script, `python -m hubkit_lab.precompress`."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import gzip
import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = "export const greeting = 'hello from a JupyterLab extension';\n" * 100
MANIFEST = "hubkit-precompressed.txt"


def precompress(prefix: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hubkit_lab.precompress", "--prefix", str(prefix)],
        capture_output=True,
        text=True,
        check=True,
    )


@pytest.fixture
def prefix(tmp_path: Path) -> Path:
    """A prefix with JupyterLab's static folder and one extension's, as an install leaves them."""
    lab = tmp_path / "share" / "jupyter" / "lab" / "static"
    ext = tmp_path / "share" / "jupyter" / "labextensions" / "an-extension" / "static"
    for folder in (lab, ext):
        folder.mkdir(parents=True)
    (lab / "main.js").write_text(SCRIPT)
    (lab / "index.html").write_text("<html>" + "<div>JupyterLab</div>" * 100 + "</html>")
    (lab / "tiny.js").write_text("export {};\n")  # shorter than tornado's MIN_LENGTH
    (lab / "font.woff2").write_bytes(os.urandom(4096))  # fonts: compressed already
    (ext / "remoteEntry.js").write_text(SCRIPT.replace("hello", "hi"))
    (ext / "random.json").write_text(os.urandom(3000).hex()[:3000])  # pays little, still pays
    return tmp_path


def gz(path: Path) -> Path:
    return path.with_name(path.name + ".gz")


def test_makes_a_gz_beside_each_text_asset(prefix: Path) -> None:
    # Given a fresh install's assets
    share = prefix / "share" / "jupyter"
    # When the script runs
    precompress(prefix)
    # Then each script, page and JSON has a .gz with its content and its modification time
    for path in (
        share / "lab/static/main.js",
        share / "lab/static/index.html",
        share / "labextensions/an-extension/static/remoteEntry.js",
    ):
        assert gzip.decompress(gz(path).read_bytes()) == path.read_bytes(), path
        assert gz(path).stat().st_mtime_ns == path.stat().st_mtime_ns, path
    # And small files and fonts have none
    assert not gz(share / "lab/static/tiny.js").exists()
    assert not gz(share / "lab/static/font.woff2").exists()
    # And the manifest lists what it made, relative to share/jupyter
    listed = (prefix / MANIFEST).read_text().splitlines()
    assert "lab/static/main.js.gz" in listed and "lab/static/tiny.js.gz" not in listed


def test_refreshes_a_gz_whose_file_changed(prefix: Path) -> None:
    # Given precompressed assets, one of which an upgrade then replaced with an older file
    precompress(prefix)
    main = prefix / "share/jupyter/lab/static/main.js"
    main.write_text(SCRIPT.replace("hello", "upgraded"))
    older = main.stat().st_mtime_ns - 3_600_000_000_000
    os.utime(main, ns=(older, older))
    # When the script runs again
    precompress(prefix)
    # Then the .gz holds the new content, with the file's time
    assert gzip.decompress(gz(main).read_bytes()) == main.read_bytes()
    assert gz(main).stat().st_mtime_ns == older


def test_removes_only_its_own_orphans(prefix: Path) -> None:
    # Given precompressed assets, and a .gz an extension ships itself
    share = prefix / "share" / "jupyter"
    static = share / "labextensions/an-extension/static"
    shipped = static / "data.json.gz"
    shipped.write_bytes(gzip.compress(b"{}", mtime=0))
    precompress(prefix)
    # When an upgrade removes a script, then the script runs again
    (static / "remoteEntry.js").unlink()
    precompress(prefix)
    # Then the script's .gz is gone, and the extension's own .gz is kept
    assert not gz(static / "remoteEntry.js").exists()
    assert shipped.read_bytes() == gzip.compress(b"{}", mtime=0)
    assert gz(share / "lab/static/main.js").exists()


def test_refuses_to_delete_what_is_not_its_gz_under_share_jupyter(prefix: Path) -> None:
    # Given a manifest naming files outside share/jupyter, and a file that is not a .gz
    victims = [prefix / "victim.gz", prefix.parent / f"{prefix.name}-outside.gz"]
    for victim in victims:
        victim.write_bytes(b"keep me")
    readme = prefix / "share/jupyter/lab/static/README.txt"
    readme.write_text("keep me")
    (prefix / MANIFEST).write_text(
        f"../../victim.gz\n../../../{prefix.name}-outside.gz\n{victims[0]}\nlab/static/README.txt\n"
    )
    # When the script runs
    result = precompress(prefix)
    # Then those files are all still there, and it says why it left them
    for path in [*victims, readme]:
        assert path.read_bytes() == b"keep me", path
    assert result.stderr.count("not removing") == 4
    # And the manifest no longer lists them
    assert "victim" not in (prefix / MANIFEST).read_text()
