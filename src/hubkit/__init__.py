"""hubkit: a batteries-included JupyterHub for a homelab.

The kernel catalog (catalog.yaml) drives everything: local mode, the hub's profile picker,
the image build and the smoke tests.
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

__version__ = "0.1.0"
