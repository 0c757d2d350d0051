"""Memory per column, and `compact(df)`: the same values in smaller types (downcast numbers,
categories for repetitive text, Arrow-backed strings), with the saving shown."""

# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Text columns with at most this share of distinct values become categories
CATEGORY_RATIO = 0.5


def memory_usage(frame: Any) -> Any:
    """Bytes per column (deep: text counted) of a pandas or polars DataFrame, as a pandas
    DataFrame with the column, its type and its size, largest first."""
    import pandas as pd

    if type(frame).__module__.split(".")[0] == "polars":
        rows = [(str(n), str(t), frame[n].estimated_size()) for n, t in frame.schema.items()]
    else:
        sizes = frame.memory_usage(deep=True, index=False)
        rows = [(str(frame.columns[i]), str(frame.dtypes.iloc[i]), int(sizes.iloc[i]))
                for i in range(frame.shape[1])]  # fmt: skip
    out = pd.DataFrame(rows, columns=["column", "dtype", "bytes"])
    return out.sort_values("bytes", ascending=False, ignore_index=True)


@dataclass
class Compacted:
    """The compacted frame and what it saved; shows as one line in a notebook."""

    frame: Any
    before: int
    after: int
    changes: dict[str, tuple[str, str]]

    @property
    def saved(self) -> int:
        return self.before - self.after

    def __repr__(self) -> str:
        share = self.saved / self.before if self.before else 0.0
        changed = ", ".join(f"{k}: {a} \u2192 {b}" for k, (a, b) in self.changes.items())
        return (
            f"{_size(self.before)} \u2192 {_size(self.after)} (saved {_size(self.saved)}, "
            f"{share:.0%}); {changed or 'no column changed'}"
        )


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if abs(n) < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"  # pragma: no cover


def compact(frame: Any, category_ratio: float = CATEGORY_RATIO) -> Compacted:
    """A copy of a pandas DataFrame in compact types, keeping every value equal: integers and
    floats downcast where no value changes, text with few distinct values as categories, other
    text as Arrow-backed strings. The frame itself is not changed."""
    import numpy as np
    import pandas as pd

    if type(frame).__module__.split(".")[0] != "pandas" or type(frame).__name__ != "DataFrame":
        raise TypeError(f"compact() needs a pandas DataFrame, not {type(frame).__name__}")
    before = int(frame.memory_usage(deep=True, index=True).sum())
    out = frame.copy(deep=False)
    changes = {}
    for i in range(frame.shape[1]):
        col = frame.iloc[:, i]
        new = _compact_column(col, category_ratio, np, pd)
        if new is not None and new.memory_usage(deep=True, index=False) < col.memory_usage(
            deep=True, index=False
        ):
            out.isetitem(i, new)
            changes[str(frame.columns[i])] = (str(col.dtype), str(new.dtype))
    after = int(out.memory_usage(deep=True, index=True).sum())
    return Compacted(out, before, after, changes)


def _compact_column(col: Any, ratio: float, np: Any, pd: Any) -> Any:
    dtype = col.dtype
    if pd.api.types.is_bool_dtype(dtype) or isinstance(dtype, pd.CategoricalDtype):
        return None
    if pd.api.types.is_integer_dtype(dtype):
        new = pd.to_numeric(col, downcast="signed" if col.min() < 0 else "unsigned")
        return new if new.equals(col.astype(new.dtype)) else None
    if pd.api.types.is_float_dtype(dtype) and not isinstance(dtype, pd.ArrowDtype):
        if dtype == np.float32:
            return None
        new = col.astype(np.float32)
        same = (new.astype(dtype) == col) | (new.isna() & col.isna())
        return new if bool(same.all()) else None
    if getattr(dtype, "kind", "") == "O" or pd.api.types.is_string_dtype(dtype):
        kinds = pd.api.types.infer_dtype(col, skipna=True)
        if kinds not in ("string", "empty"):
            return None  # mixed or nested objects keep their Python values
        n = len(col)
        distinct = col.nunique(dropna=True)
        if n and distinct / n <= ratio:
            return col.astype("category")
        if getattr(dtype, "kind", "") == "O":
            return col.astype(pd.StringDtype("pyarrow"))
    return None
