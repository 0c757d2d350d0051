"""Environment specs (envs/<name>/environment.yml): parsing (spec), PyPI translation (pypi)
and lock checks (lock). Installed prefixes are finished by hubkit.prefix."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.
