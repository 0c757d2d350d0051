"""Tests for serving JupyterLab's assets as their install-time `.gz` (hubkit_lab.precompressed)."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import gzip
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from lab_servers import Server, jupyter_server

pytestmark = pytest.mark.slow
GZIP_PLEASE = {"Accept-Encoding": "gzip, deflate, br, zstd"}  # as Chromium asks
SCRIPT = "const answer = {'question': 'what is six times seven', 'value': 42};\n" * 200


@pytest.fixture(scope="module")
def assets(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An extension's static folder in a prefix of its own, precompressed by the install-time
    script: 1.js current, 2.js replaced since with an older file, 3.js whose .gz was swapped
    for a link, and a data.json.gz the extension ships as it is."""
    prefix = tmp_path_factory.mktemp("prefix")
    static = prefix / "share" / "jupyter" / "labextensions" / "some-extension" / "static"
    static.mkdir(parents=True)
    for name in ("1.js", "2.js", "3.js"):
        (static / name).write_text(SCRIPT.replace("42", name))
    (static / "data.json.gz").write_bytes(gzip.compress(b'{"rows": []}' * 100))
    subprocess.run(
        [sys.executable, "-m", "hubkit_lab.precompress", f"--prefix={prefix}"], check=True
    )
    assert all((static / f"{name}.gz").is_file() for name in ("1.js", "2.js", "3.js"))
    replaced = static / "2.js"
    replaced.write_text(SCRIPT.replace("42", "'replaced'"))
    older = replaced.stat().st_mtime_ns - 3_600_000_000_000
    os.utime(replaced, ns=(older, older))
    secret = prefix / "secret.gz"
    secret.write_bytes(gzip.compress(b"a secret outside the served folders"))
    linked = static / "3.js.gz"
    linked.unlink()
    linked.symlink_to(secret)
    os.utime(linked, ns=(0, (static / "3.js").stat().st_mtime_ns), follow_symlinks=False)
    return static


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, assets: Path) -> Iterator[Server]:
    """A server of this environment, with hubkit_lab on (as installed), serving `assets` too."""
    home = tmp_path_factory.mktemp("home")
    with jupyter_server(home, f"--LabApp.extra_labextensions_path={assets.parent.parent}") as s:
        yield s


@pytest.fixture(scope="module")
def server_without(tmp_path_factory: pytest.TempPathFactory, assets: Path) -> Iterator[Server]:
    """The same server with the option turned off."""
    home = tmp_path_factory.mktemp("home-without")
    with jupyter_server(
        home,
        f"--LabApp.extra_labextensions_path={assets.parent.parent}",
        "--HubkitLab.precompressed_assets=False",
    ) as s:
        yield s


def lab_main_script(prefix: Path) -> Path:
    """JupyterLab's main bundle in this environment; its .gz is made at install time."""
    static = prefix / "share" / "jupyter" / "lab" / "static"
    main = next(static.glob("main.*.js"))
    packed = main.with_name(main.name + ".gz")
    assert packed.is_file() and packed.stat().st_mtime_ns == main.stat().st_mtime_ns, (
        f"no current {packed.name}: run `{sys.executable} -m hubkit_lab.precompress`"
    )
    return main


def test_lab_script_arrives_as_its_install_time_gz(server: Server, prefix: Path) -> None:
    # Given JupyterLab's main bundle, precompressed at install
    main = lab_main_script(prefix)
    # When a browser asks for it
    r = server.get(f"/static/lab/{main.name}", headers=GZIP_PLEASE, stream=True)
    sent = r.raw.read(decode_content=False)
    # Then it gets the .gz byte for byte, as JavaScript, marked as varying with the encoding
    assert r.status_code == 200
    assert r.headers["Content-Encoding"] == "gzip"
    assert r.headers["Content-Type"] == "application/javascript"
    assert "Accept-Encoding" in r.headers["Vary"]
    assert int(r.headers["Content-Length"]) == len(sent)
    assert sent == main.with_name(main.name + ".gz").read_bytes()
    assert gzip.decompress(sent) == main.read_bytes()


def test_extension_script_arrives_as_its_install_time_gz(server: Server, assets: Path) -> None:
    # Given an extension's script precompressed by the install-time script
    script = assets / "1.js"
    # When a browser asks for it
    r = server.get("/lab/extensions/some-extension/static/1.js", headers=GZIP_PLEASE, stream=True)
    sent = r.raw.read(decode_content=False)
    # Then it gets the .gz byte for byte, as JavaScript
    assert r.status_code == 200
    assert r.headers["Content-Encoding"] == "gzip"
    assert r.headers["Content-Type"] == "application/javascript"
    assert sent == (assets / "1.js.gz").read_bytes()
    assert gzip.decompress(sent) == script.read_bytes()


def test_a_client_without_gzip_gets_the_file(server: Server, prefix: Path, assets: Path) -> None:
    for url, path in (
        (f"/static/lab/{lab_main_script(prefix).name}", lab_main_script(prefix)),
        ("/lab/extensions/some-extension/static/1.js", assets / "1.js"),
    ):
        # Given a client that takes no compression
        # When it asks for a precompressed script
        r = server.get(url, headers={"Accept-Encoding": "identity"}, stream=True)
        # Then it gets the file itself
        assert r.status_code == 200
        assert "Content-Encoding" not in r.headers
        assert r.raw.read(decode_content=False) == path.read_bytes()


@pytest.mark.parametrize("name", ["2.js", "3.js"], ids=["stale-gz", "gz-is-a-symlink"])
def test_a_gz_that_is_not_current_is_never_sent(server: Server, assets: Path, name: str) -> None:
    # Given a script whose .gz is older than the script, or is a link to another file
    # When a browser asks for the script
    r = server.get(f"/lab/extensions/some-extension/static/{name}", headers=GZIP_PLEASE)
    # Then it gets the script itself (compressed on the fly), never that .gz's content
    assert r.status_code == 200
    assert r.content == (assets / name).read_bytes()


def test_a_range_request_gets_bytes_of_the_file(server: Server, assets: Path) -> None:
    # Given a precompressed script
    script = assets / "1.js"
    # When a client asks for its first 100 bytes
    r = server.get(
        "/lab/extensions/some-extension/static/1.js",
        headers={**GZIP_PLEASE, "Range": "bytes=0-99"},
    )
    # Then it gets those bytes of the script, not of its .gz
    assert r.status_code == 206
    assert r.headers["Content-Range"] == f"bytes 0-99/{script.stat().st_size}"
    assert r.content == script.read_bytes()[:100]


def test_a_shipped_gz_keeps_its_type(server: Server, assets: Path) -> None:
    # Given a .gz file an extension ships as data
    # When a browser asks for it
    r = server.get("/lab/extensions/some-extension/static/data.json.gz", headers=GZIP_PLEASE)
    # Then it is sent as it is, as gzip data
    assert r.headers["Content-Type"] == "application/gzip"
    assert "Content-Encoding" not in r.headers
    assert r.content == (assets / "data.json.gz").read_bytes()


def test_other_responses_are_compressed_on_the_fly(server: Server) -> None:
    # Given a server with hubkit_lab's default options
    # When JupyterLab asks for its settings (a large JSON answer)
    r = server.get("/lab/api/settings", headers=GZIP_PLEASE, stream=True)
    # Then the answer arrives gzip-compressed
    assert r.status_code == 200
    assert r.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(r.raw.read(decode_content=False)).startswith(b"{")


def test_turned_off_the_file_is_compressed_on_the_fly(
    server_without: Server, prefix: Path, assets: Path
) -> None:
    for url, path in (
        (f"/static/lab/{lab_main_script(prefix).name}", lab_main_script(prefix)),
        ("/lab/extensions/some-extension/static/1.js", assets / "1.js"),
    ):
        # Given a server started with --HubkitLab.precompressed_assets=False
        # When a browser asks for a precompressed script
        r = server_without.get(url, headers=GZIP_PLEASE, stream=True)
        sent = r.raw.read(decode_content=False)
        # Then it gets the file compressed as it is sent, not the .gz made at install
        assert r.status_code == 200
        assert r.headers["Content-Encoding"] == "gzip"
        assert sent != path.with_name(path.name + ".gz").read_bytes()
        assert gzip.decompress(sent) == path.read_bytes()
