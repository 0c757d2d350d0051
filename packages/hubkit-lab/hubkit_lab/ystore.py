"""A bounded store for jupyter-collaboration's document updates.

jupyter-collaboration keeps every update of every shared document in an SQLite database
(`.jupyter_ystore.db` in the server's folder) that, by default, only grows
(jupyter-collaboration#430): a server edited all day keeps every keystroke. `BoundedYStore` caps
its size with the store's own cleanup (pycrdt-store's `cleanup_when_db_size_above`): once the
file is larger than `max_size_mb`, it drops the load-time snapshots and squashes documents'
updates into one per document, least recently edited first, until the file is below 90 % of the
bound. The documents are kept; their timeline (jupyter-collaboration's history slider) loses
the squashed steps. Configured as `YDocExtension.ystore_class`
(envs/python/etc/jupyter/jupyter_server_config.json).

Not the time-based options: in the pinned pycrdt-store (0.1.5), `squash_after_inactivity_of`
(formerly `document_ttl`) and `squash_history_older_than` apply the old updates to the squashed
document only when a decompression callback is registered (none is, by default), so they
replace a document's history by an empty one.
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

from typing import Any

from jupyter_server_ydoc.stores import SQLiteYStore
from traitlets import Float, TraitError, validate


class BoundedYStore(SQLiteYStore):
    """jupyter-collaboration's SQLite store, kept under a size bound."""

    cleanup_when_db_size_above = Float(
        32.0,
        allow_none=True,
        config=True,
        help="""The store's bound in MB: when the database file grows above it, documents'
        update histories are squashed (least recently edited first) until it is below 90 %
        of it. None lets it grow without bound (jupyter-collaboration's default).

        .. versionadded:: 0.1
        """,
    )

    @validate("cleanup_when_db_size_above")
    def _validate_bound(self, proposal: dict[str, Any]) -> float | None:
        value = proposal["value"]
        if value is not None and value <= 0:
            raise TraitError(
                f"BoundedYStore.cleanup_when_db_size_above must be > 0 MB or None, not {value}"
            )
        return value
