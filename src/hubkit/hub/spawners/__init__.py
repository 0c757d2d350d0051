"""The hub's spawners: one profile picker (profile.py), one module per backend."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.
