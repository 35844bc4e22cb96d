"""JSON (array of objects, or `{"data": [...]}` / `{"records": [...]}`) and NDJSON/JSON Lines.

The flavour is sniffed from the content, not the extension. Nested objects are flattened one level
(`parent.child` columns); anything nested deeper, and every list, is kept as a JSON string, so no
value is lost and every column stays a flat, typed Parquet column.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl

from agensium.engine.io.names import unique_names
from agensium.errors import AgensiumError, ErrorCode

RECORD_KEYS = ("data", "records", "rows", "items", "results")


def _json_string(col: str) -> pl.Expr:
    """A nested value as its JSON text (vectorised: encode a one-field struct and strip the wrapper)."""
    return (pl.struct(pl.col(col).alias("v")).struct.json_encode()
            .str.strip_prefix('{"v":').str.strip_suffix("}").alias(col))


def _nested(dtype: pl.DataType) -> bool:
    return isinstance(dtype, pl.Struct | pl.List | pl.Array | pl.Object)


def flatten(df: pl.DataFrame | pl.LazyFrame) -> tuple[Any, dict[str, Any]]:
    """Unnest struct columns one level; encode lists and deeper structs as JSON strings (eager or lazy)."""
    flattened: list[str] = []
    json_cols: list[str] = []
    exprs: list[pl.Expr] = []
    schema = df.collect_schema() if isinstance(df, pl.LazyFrame) else df.schema
    for col, dtype in schema.items():
        if isinstance(dtype, pl.Struct) and dtype.fields:
            flattened.append(col)
            for f in dtype.fields:
                child = f"{col}.{f.name}"
                exprs.append(pl.col(col).struct.field(f.name).alias(child))
                if _nested(f.dtype):
                    json_cols.append(child)
        else:
            exprs.append(pl.col(col))
            if _nested(dtype):
                json_cols.append(col)
    out = df.select(exprs).with_columns(_json_string(c) for c in json_cols) if exprs else df
    notes: dict[str, Any] = {}
    if flattened or json_cols:
        notes["nested"] = "objects flattened one level as parent.child; deeper objects and lists kept as JSON strings"
    if flattened:
        notes["flattened_columns"] = flattened
    if json_cols:
        notes["json_string_columns"] = json_cols
    return out, notes


def _records_from_object(obj: dict[str, Any], name: str) -> list[Any]:
    for key in RECORD_KEYS:
        if isinstance(obj.get(key), list):
            return obj[key]
    lists = [v for v in obj.values() if isinstance(v, list)]
    if len(lists) == 1:
        return lists[0]
    raise AgensiumError(ErrorCode.UNSUPPORTED_FORMAT,
                        f"{name}: a JSON object must hold the records in 'data' or 'records' (an array of objects)",
                        {"file": name, "keys": [str(k) for k in list(obj)[:20]]})


def read_json(source: Path, name: str, kind: str) -> tuple[pl.DataFrame | pl.LazyFrame, dict[str, Any]]:
    """`kind` is "json" or "ndjson" (as sniffed). NDJSON stays lazy so it streams to Parquet."""
    notes: dict[str, Any] = {"json_layout": "lines" if kind == "ndjson" else "array"}
    try:
        if kind == "ndjson":
            lazy = pl.scan_ndjson(source, infer_schema_length=None)
            lazy, flat_notes = flatten(lazy)
            cols = lazy.collect_schema().names()
            if not cols:
                raise AgensiumError(ErrorCode.FILE_EMPTY, f"{name}: the JSON holds no records", {"file": name})
            names, renamed = unique_names(cols)
            notes.update(flat_notes)
            if renamed:
                notes["renamed_columns"] = renamed
                lazy = lazy.rename(dict(zip(cols, names, strict=True)))
            return lazy, notes
        else:
            with source.open("rb") as fh:
                first = fh.read(4096).lstrip()
            if first.startswith(b"["):
                df = pl.read_json(source, infer_schema_length=None)
            else:
                obj = json.loads(source.read_bytes())
                records = _records_from_object(obj, name) if isinstance(obj, dict) else obj
                notes["json_layout"] = "object with records array"
                if records and not all(isinstance(r, dict) for r in records[:1000]):
                    raise AgensiumError(ErrorCode.UNSUPPORTED_FORMAT, f"{name}: the JSON records must be objects",
                                        {"file": name})
                df = pl.from_dicts(records, infer_schema_length=None, strict=False) if records else pl.DataFrame()
    except AgensiumError:
        raise
    except (json.JSONDecodeError, pl.exceptions.ComputeError, pl.exceptions.PolarsError) as exc:
        first_line = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise AgensiumError(ErrorCode.UNREADABLE_FILE, f"{name}: invalid JSON ({first_line})", {"file": name}) from exc
    if df.height == 0 or df.width == 0:
        raise AgensiumError(ErrorCode.FILE_EMPTY, f"{name}: the JSON holds no records", {"file": name})
    df, flat_notes = flatten(df)
    notes.update(flat_notes)
    names, renamed = unique_names(df.columns)
    if renamed:
        notes["renamed_columns"] = renamed
    return df.rename(dict(zip(df.columns, names, strict=True))), notes
