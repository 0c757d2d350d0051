"""Interactive tables for DataFrames: kernel-side paging, sort, filters, search and column
summaries (DuckDB over the frame), copy-as-code, exports, a profile report and a memory helper.

Importing this package stays cheap; pandas, DuckDB and sqlglot are imported when used.
"""

# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

from typing import Any


def export(data: Any, fmt: str = "parquet", name: str = "table", folder: Any = None) -> Any:
    """Write a DataFrame to `~/exports` as csv, xlsx, parquet or json; return the path."""
    from .exports import export as _export

    return _export(data, fmt, name, folder)


def memory_usage(frame: Any) -> Any:
    """Bytes per column of a pandas or polars DataFrame, largest first."""
    from .memory import memory_usage as _memory_usage

    return _memory_usage(frame)


def compact(frame: Any) -> Any:
    """A pandas DataFrame in compact types with equal values; `.frame`, `.saved`."""
    from .memory import compact as _compact

    return _compact(frame)


def profile(data: Any, title: str = "Profile") -> Any:
    """A full, offline profile report of a DataFrame (HTML; `.save(path)`)."""
    from .report import profile as _profile

    return _profile(data, title)


__all__ = ["compact", "export", "memory_usage", "profile"]
