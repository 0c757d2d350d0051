"""A full profile of a DataFrame as one self-contained HTML page (no network, no JavaScript):
every column's type, nulls, distinct values, min/max or most frequent values and histogram.
skrub's TableReport is not in the locked environments; this is the equivalent built on the
table's own summaries."""

# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from .engine import Table
from .summaries import summarize

STYLE = """
body { font: 13px system-ui, sans-serif; margin: 16px; color: #222; background: #fff; }
@media (prefers-color-scheme: dark) { body { color: #ddd; background: #111; } }
table { border-collapse: collapse; }
td, th { border-bottom: 1px solid #8884; padding: 4px 10px; text-align: left; vertical-align: top; }
.bar { fill: #4a8bd4; }
"""


class ProfileReport:
    """An HTML profile of a table; shows in the notebook and saves with `.save(path)`."""

    def __init__(self, data: Any, title: str = "Profile") -> None:
        table = Table(data)
        try:
            self.columns = table.columns
            self.summaries = summarize(table)
            self.rows = table.total()
        finally:
            table.close()
        self.title = title

    def _repr_html_(self) -> str:
        head = (f"<p><b>{html.escape(self.title)}</b>: {self.rows:,} rows \u00d7 "
                f"{len(self.columns)} columns</p>")  # fmt: skip
        rows = []
        for c, s in zip(self.columns, self.summaries, strict=True):
            detail = ""
            if "min" in s:
                detail = f"min {html.escape(str(s['min']))}<br>max {html.escape(str(s['max']))}"
            elif s.get("top"):
                detail = "<br>".join(f"{html.escape(str(v))}: {n:,}" for v, n in s["top"])
            share = s["nulls"] / self.rows if self.rows else 0
            rows.append(
                f"<tr><th>{html.escape(c.name)}</th><td>{html.escape(c.dtype)}</td>"
                f"<td>{s['nulls']:,} ({share:.1%})</td><td>{s['distinct']:,}</td>"
                f"<td>{detail}</td><td>{_svg(s.get('histogram'))}</td></tr>"
            )
        return (
            f"<div class='hubkit-profile'>{head}<table><tr><th>column</th><th>type</th>"
            "<th>nulls</th><th>distinct</th><th>values</th><th>histogram</th></tr>"
            + "".join(rows)
            + "</table></div>"
        )

    def save(self, path: str | Path) -> Path:
        """Write the report as a standalone HTML file."""
        path = Path(path)
        path.write_text(
            f"<!doctype html><meta charset='utf-8'><title>{html.escape(self.title)}</title>"
            f"<style>{STYLE}</style>{self._repr_html_()}",
            encoding="utf-8",
        )
        return path


def _svg(histogram: dict[str, Any] | None) -> str:
    if not histogram:
        return ""
    counts = histogram["counts"]
    top = max(counts) or 1
    width = 6
    bars = "".join(
        f"<rect class='bar' fill='#4a8bd4' x='{i * width}' y='{40 - 40 * n / top:.1f}' "
        f"width='{width - 1}' height='{40 * n / top:.1f}'/>"
        for i, n in enumerate(counts)
    )
    return f"<svg width='{len(counts) * width}' height='40' role='img'>{bars}</svg>"


def profile(data: Any, title: str = "Profile") -> ProfileReport:
    """A full profile of a DataFrame (pandas, polars, Arrow, a DuckDB relation)."""
    return ProfileReport(data, title)
