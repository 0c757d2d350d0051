"""Write /opt/hubkit/manifest.json: the package versions installed in an image.

Run at the end of every image build with the image's own Python; reads what is really on disk
(each prefix's conda-meta records, pip-installed distributions, Julia's Manifest.toml), so it
describes the image rather than the lock. Standard library only:

    python manifest.py --profile r --prefix /opt/envs/python --prefix /opt/envs/r \
        --out /opt/hubkit/manifest.json
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import argparse
import datetime as _dt
import json
import sys
import tomllib
from pathlib import Path


def conda_packages(prefix: Path) -> dict[str, dict[str, str]]:
    """name -> {version, build, channel} from the prefix's conda-meta records."""
    packages = {}
    for record in sorted((prefix / "conda-meta").glob("*.json")):
        meta = json.loads(record.read_text())
        channel = str(meta.get("channel", "")).rstrip("/").rsplit("/", 1)[-1]
        packages[meta["name"]] = {
            "version": meta["version"],
            "build": meta.get("build", ""),
            "channel": channel,
        }
    return packages


def pip_packages(prefix: Path) -> dict[str, dict[str, str]]:
    """Distributions installed by pip (not by conda) in the prefix's site-packages."""
    packages = {}
    for installer in sorted(prefix.glob("lib/python3*/site-packages/*.dist-info/INSTALLER")):
        if installer.read_text().strip() != "pip":
            continue
        fields = {}
        for line in (installer.parent / "METADATA").read_text().splitlines():
            if not line:
                break
            key, _, value = line.partition(": ")
            fields.setdefault(key, value)
        packages[fields["Name"]] = {"version": fields["Version"]}
    return packages


def julia_packages(manifest: Path) -> dict[str, dict[str, str]]:
    """name -> {version} from a Julia Manifest.toml (format 2: `[[deps.Name]]`)."""
    data = tomllib.loads(manifest.read_text())
    packages = {}
    for name, entries in sorted(data.get("deps", {}).items()):
        version = entries[0].get("version")
        if version:
            packages[name] = {"version": version}
    return packages


def build_manifest(
    profile: str, image: str, prefixes: list[Path], julia_manifest: Path | None
) -> dict:
    return {
        "profile": profile,
        "image": image,
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "prefixes": {
            str(prefix): {"conda": conda_packages(prefix), "pip": pip_packages(prefix)}
            for prefix in prefixes
        },
        "julia": julia_packages(julia_manifest) if julia_manifest else {},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", required=True)
    parser.add_argument("--image", default="")
    parser.add_argument("--prefix", type=Path, action="append", default=[])
    parser.add_argument("--julia-manifest", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    for prefix in args.prefix:
        if not (prefix / "conda-meta").is_dir():
            print(f"hubkit-manifest: error: {prefix} is not a conda prefix", file=sys.stderr)
            return 1
    manifest = build_manifest(args.profile, args.image, args.prefix, args.julia_manifest)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
