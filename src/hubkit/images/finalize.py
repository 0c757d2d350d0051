"""The last step of every image build: the profile's static kernelspecs and server config
(hubkit.kernelspecs, as local mode writes them) and the manifest of installed packages.

Runs with the image's own Python (PYTHONPATH=/opt/hubkit/src), which has PyYAML and jsonschema
as JupyterLab dependencies; it needs nothing else from hubkit:

    python -m hubkit.images.finalize --profile r --image hubkit/r-notebook:2026-11-25-...
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

from ..catalog import CatalogError, load_catalog
from ..kernelspecs import write_profile_files
from .manifest import build_manifest

HUBKIT_DIR = Path("/opt/hubkit")


def finalize(catalog_path: Path, slug: str, image: str, out: Path, prefix_root: Path) -> dict:
    """Write out/share/jupyter/kernels, out/etc/jupyter and out/manifest.json for the profile.

    `prefix_root` is "/" in an image; tests pass a folder standing in for it.
    """
    catalog = load_catalog(catalog_path)
    if slug not in catalog.profiles:
        raise CatalogError(catalog_path, "profiles", f"unknown profile {slug!r}")
    prefixes = {root: catalog.environments[root].prefix or "" for root in catalog.leaves(slug)}
    for folder in ("share", "etc"):
        shutil.rmtree(out / folder, ignore_errors=True)  # a child image replaces its parent's
    names = write_profile_files(
        catalog, slug, prefixes, out / "share" / "jupyter", out / "etc" / "jupyter"
    )
    julia = next(
        (
            prefix_root / p.lstrip("/") / "project" / "Manifest.toml"
            for root, p in prefixes.items()
            if catalog.environments[root].julia_project
        ),
        None,
    )
    manifest = build_manifest(
        slug,
        image,
        [prefix_root / p.lstrip("/") for p in prefixes.values()],
        julia if julia and julia.is_file() else None,
    )
    manifest["prefixes"] = {
        "/" + str(Path(k).relative_to(prefix_root)): v for k, v in manifest["prefixes"].items()
    }
    manifest["kernels"] = names
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", required=True)
    parser.add_argument("--image", default="")
    parser.add_argument("--catalog", type=Path, default=HUBKIT_DIR / "src" / "catalog.yaml")
    parser.add_argument("--out", type=Path, default=HUBKIT_DIR)
    parser.add_argument("--root", type=Path, default=Path("/"))
    args = parser.parse_args(argv)
    try:
        manifest = finalize(args.catalog, args.profile, args.image, args.out, args.root)
    except CatalogError as e:
        print(f"hubkit-finalize: error: {e}", file=sys.stderr)
        return 1
    print(f"{args.profile}: kernels {', '.join(manifest['kernels'])}; {args.out}/manifest.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
