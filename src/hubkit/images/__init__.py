"""Images: the build plan from the catalog (plan), the container engine seam (engine), the
build with smoke tests and the hub's images file (build), Zero to JupyterHub values (z2jh),
the lock-refresh diff (lockdiff) and the steps that run inside an image build (explicit,
manifest, finalize: standard library, PyYAML and hubkit.kernelspecs only, so nothing here is
imported eagerly)."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.
