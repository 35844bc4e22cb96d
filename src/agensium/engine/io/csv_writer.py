"""Frames made writable as CSV: Polars refuses nested, binary and duration columns in a CSV file.

A Parquet input may hold any of them, and a cleaned or mastered file must still be written, so such a
column is written as the text `semantics.as_text` gives it (JSON, base64, ISO 8601). Every other column
is written as it is.
"""

from __future__ import annotations

from typing import TypeVar

import polars as pl

from agensium.engine.values.text import as_text

Frame = TypeVar("Frame", pl.DataFrame, pl.LazyFrame)


def _csv_holds(dtype: pl.DataType) -> bool:
    return not (dtype.is_nested() or dtype == pl.Binary or isinstance(dtype, pl.Duration))


def csv_ready(frame: Frame) -> Frame:
    """`frame` with every column CSV cannot hold turned into text (the frame itself when there is none)."""
    exprs = [as_text(pl.col(name), dtype).alias(name)
             for name, dtype in frame.collect_schema().items() if not _csv_holds(dtype)]
    return frame.with_columns(exprs) if exprs else frame
