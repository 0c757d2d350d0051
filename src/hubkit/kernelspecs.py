"""Write a profile's kernelspecs and server config statically.

nbval, nbconvert and papermill only see kernelspecs on disk (nb_conda_kernels' dynamic ones are
invisible to them), so every image and every local profile gets real kernel.json files, and the
server is told to offer exactly the profile's kernels.
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from .catalog import Catalog


def kernelspec(argv: tuple[str, ...], prefix: str, display_name: str, language: str) -> dict:
    """A kernel.json body; `{prefix}` is the environment's install path."""
    return {
        "argv": [a.replace("{prefix}", prefix) for a in argv],
        "display_name": display_name,
        "language": language,
        "metadata": {"debugger": language == "python"},
    }


def write_profile_files(
    catalog: Catalog,
    slug: str,
    prefixes: Mapping[str, str],
    data_dir: Path,
    config_dir: Path,
    only_these: bool = False,
) -> list[str]:
    """Write kernelspecs under data_dir/kernels and the server config choosing the default.

    `prefixes` maps each prefix root environment of the profile to where it is installed.
    `only_these` hides every other kernelspec: local mode needs it, because the machine's
    own kernelspecs (Debian's `ir`, for one) would show in every profile. Images do not: there
    the kernels users install for environments in their home must stay visible.
    Returns the kernel names written.
    """
    names = []
    for kernel, env in catalog.kernels(slug):
        kdir = data_dir / "kernels" / kernel.name
        kdir.mkdir(parents=True, exist_ok=True)
        body = kernelspec(kernel.argv, prefixes[env.name], kernel.display_name, kernel.language)
        (kdir / "kernel.json").write_text(json.dumps(body, indent=2) + "\n")
        names.append(kernel.name)
    config_dir.mkdir(parents=True, exist_ok=True)
    server_config: dict = {
        "KernelSpecManager": {"ensure_native_kernel": False},
        "MappingKernelManager": {"default_kernel_name": names[0]},
    }
    if only_these:
        server_config["KernelSpecManager"]["allowed_kernelspecs"] = names
    (config_dir / "jupyter_server_config.json").write_text(json.dumps(server_config, indent=2))
    return names
