"""Writes `name.gz` beside every JupyterLab asset, so the server sends it without compressing.

The work is hubkit_lab.precompress (packages/hubkit-lab, installed into this prefix before the
post-install scripts run), whose server extension sends those files. This file only runs it,
last among the post-install scripts (they run in name order), so it compresses what earlier
scripts patched (10_variable_inspector_imports.py).
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

import sys

from hubkit_lab.precompress import main

if __name__ == "__main__":
    sys.exit(main([]))
