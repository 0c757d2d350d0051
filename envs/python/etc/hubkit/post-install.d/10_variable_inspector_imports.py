"""mljar's variable inspector looks at the modules the user imported instead of importing them.

variable-inspector 1.4.4 sends every open notebook's kernel a script that imports numpy,
pandas, pyspark, tensorflow, keras, torch, ipywidgets and xarray to recognise their types, at
every refresh: about 90 MB and a second of CPU per kernel before the user imports anything
(benchmarks/lab_overhead.py), gigabytes with the ML layer. A value can only be a DataFrame if
pandas is already imported, so looking the modules up in sys.modules lists the same variables.

This rewrites that one line of the extension's bundle (no option or kernel hook can change it).
It runs with the environment's Python after every install (`hubkit local install`,
images/layer/hubkit-install-lock) and is idempotent. It fails, naming the folder, when no bundle
holds the line: a new version of the extension; check whether upstream fixed it, then drop or
adapt this file.
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

import sys
from pathlib import Path

STATIC = Path(sys.prefix, "share", "jupyter", "labextensions", "variable-inspector", "static")
IMPORTING = "return __import__(module)"
LOOKING_UP = "return sys.modules.get(module)"


def main() -> int:
    if not STATIC.is_dir():
        return 0  # not installed into this prefix
    bundles = {path: path.read_text(encoding="utf-8") for path in sorted(STATIC.glob("*.js"))}
    todo = [path for path, text in bundles.items() if IMPORTING in text]
    if not todo and not any(LOOKING_UP in text for text in bundles.values()):
        print(f"{__file__}: no bundle in {STATIC} contains {IMPORTING!r}", file=sys.stderr)
        return 1
    for path in todo:
        path.write_text(bundles[path].replace(IMPORTING, LOOKING_UP), encoding="utf-8")
        print(f"variable inspector: kernel script looks modules up in sys.modules ({path.name})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
