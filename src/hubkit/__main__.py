"""`python -m hubkit`: the same as the `hubkit` command."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from .commands import main

main()
