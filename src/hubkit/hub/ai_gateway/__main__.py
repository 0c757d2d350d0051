"""`python -m hubkit.hub.ai_gateway`: the hub starts the AI gateway service this way."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from .gateway import main

main()
