"""The hub side: profile picker, spawners and login; set up by hub/jupyterhub_config.py."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.
