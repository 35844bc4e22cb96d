"""Read a user's file into a typed Parquet `Dataset` with the hidden ROW_ID column.

MINIMAL VERSION: to be replaced by the full reader (encoding/delimiter detection, Excel sheets,
NDJSON, s3:// sources). Keep the signature of `read_dataset`.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from agensium.engine.agent import ROW_ID, Dataset
from agensium.errors import AgensiumError, ErrorCode


def read_dataset(source: Path, dest: Path, display_name: str | None = None) -> Dataset:
    """Convert `source` into Parquet at `dest` (streaming where the format allows)."""
    name = display_name or source.name
    ext = source.suffix.lower().lstrip(".")
    try:
        if ext in ("csv", "txt", "tsv"):
            lf = pl.scan_csv(source, separator="\t" if ext == "tsv" else ",", infer_schema_length=10000)
        elif ext == "parquet":
            lf = pl.scan_parquet(source)
        elif ext in ("json",):
            lf = pl.read_json(source).lazy()
        elif ext in ("ndjson", "jsonl"):
            lf = pl.scan_ndjson(source)
        elif ext in ("xlsx", "xls"):
            lf = pl.read_excel(source).lazy()
        else:
            raise AgensiumError(ErrorCode.UNSUPPORTED_FORMAT, f"{name}: unsupported format '{ext}'", {"file": name})
        lf.with_row_index(ROW_ID).with_columns(pl.col(ROW_ID).cast(pl.Int64)).sink_parquet(dest)
    except AgensiumError:
        raise
    except Exception as exc:
        raise AgensiumError(ErrorCode.UNREADABLE_FILE, f"{name}: {exc}", {"file": name}) from exc
    return Dataset(path=dest, name=name, source_format=ext)
