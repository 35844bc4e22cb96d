"""Read a user's file into a typed `Dataset` (Parquet, or in memory when small) with the hidden ROW_ID column first.

One entry point for every format and location: local paths and `s3://bucket/key` URIs; CSV/TSV/TXT
(streamed), Excel, JSON/NDJSON, Parquet (scanned). The format comes from the content where the
extension could lie (JSON vs NDJSON, a PDF named .csv). `Dataset.read_notes` records how the file was
understood (encoding, delimiter, header, sheet, renamed columns, rows), shown in the report.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

import polars as pl

from agensium.engine.agent import IN_MEMORY_MAX_BYTES, ROW_ID, SCRATCH_COMPRESSION, Dataset
from agensium.engine.io import s3
from agensium.engine.io.csv_reader import read_csv
from agensium.engine.io.excel_reader import read_excel
from agensium.engine.io.json_reader import read_json
from agensium.engine.io.layout import ReadOptions
from agensium.engine.io.names import unique_names
from agensium.engine.io.sniff import (
    SAMPLE_BYTES,
    decode_sample,
    detect_encoding,
    looks_like_json_records,
    looks_like_markup,
    magic_kind,
    sniff,
)
from agensium.errors import AgensiumError, ErrorCode

CSV_EXTS = ("csv", "tsv", "txt")
JSON_EXTS = ("json", "ndjson", "jsonl")
EXCEL_EXTS = ("xlsx", "xls")
_GLOB_CHARS = re.compile(r"[*?\[\]{}]")


def _with_row_id(lf: pl.LazyFrame) -> pl.LazyFrame:
    return lf.with_row_index(ROW_ID).with_columns(pl.col(ROW_ID).cast(pl.Int64))


def _detect_format(source: Path, ext: str, name: str) -> str:
    """The format to parse with: content first (magic bytes, JSON shape), then the extension."""
    with source.open("rb") as fh:
        head = fh.read(SAMPLE_BYTES)
    if not head:
        raise AgensiumError(ErrorCode.FILE_EMPTY, f"{name}: the file is empty (0 bytes)", {"file": name})
    kind = magic_kind(head)
    if kind == "parquet":
        return "parquet"
    if kind == "zip" and ext in EXCEL_EXTS:
        return "xlsx"
    if kind == "ole2" and ext in EXCEL_EXTS:
        return "xls"
    if ext in EXCEL_EXTS:
        raise AgensiumError(ErrorCode.UNREADABLE_FILE, f"{name}: not a valid Excel workbook", {"file": name})
    if ext in JSON_EXTS:
        result = sniff(head, "json")
        if not result.ok:
            code = ErrorCode.UNSUPPORTED_FORMAT if kind or "binary" in (result.reason or "") else ErrorCode.UNREADABLE_FILE
            raise AgensiumError(code, f"{name}: {result.reason}", {"file": name})
        return result.format or "json"
    if ext in CSV_EXTS or not ext:
        text = decode_sample(head, detect_encoding(head))
        if looks_like_markup(text):
            raise AgensiumError(ErrorCode.UNSUPPORTED_FORMAT, f"{name}: the content is an HTML/XML page, not a table",
                                {"file": name})
        if looks_like_json_records(text):  # JSON saved as .csv/.txt: read it as what it is
            return sniff(head, "json").format or "json"
        return "csv"
    if ext == "parquet":
        raise AgensiumError(ErrorCode.UNREADABLE_FILE, f"{name}: not a valid Parquet file", {"file": name})
    raise AgensiumError(ErrorCode.UNSUPPORTED_FORMAT, f"{name}: unsupported format '.{ext}'", {"file": name, "ext": ext})


def _finish(df_or_lf: pl.DataFrame | pl.LazyFrame, dest: Path, in_memory: bool = False) -> pl.DataFrame | None:
    """ROW_ID added; kept in memory when asked (returned), else streamed to Parquet at `dest`."""
    lf = df_or_lf.lazy() if isinstance(df_or_lf, pl.DataFrame) else df_or_lf
    if in_memory:
        return _with_row_id(lf).collect().rechunk()
    _with_row_id(lf).sink_parquet(dest, compression=SCRATCH_COMPRESSION)
    return None


def _small(df: pl.DataFrame | pl.LazyFrame, source: Path, limit: int) -> bool:
    """Whether the table fits the in-memory limit (a lazily scanned one judged by its file's size)."""
    size = df.estimated_size() if isinstance(df, pl.DataFrame) else source.stat().st_size
    return size <= limit


def _read_parquet(source: Path, dest: Path, name: str, limit: int) -> tuple[dict[str, Any], pl.DataFrame | None]:
    try:
        lf = pl.scan_parquet(source, glob=False)
        cols = lf.collect_schema().names()
    except Exception as exc:
        raise AgensiumError(ErrorCode.UNREADABLE_FILE, f"{name}: not a readable Parquet file "
                            f"({(str(exc).splitlines() or [''])[0]})", {"file": name}) from exc
    names, renamed = unique_names(cols)
    notes: dict[str, Any] = {"renamed_columns": renamed} if renamed else {}
    import pyarrow.parquet as pq

    meta = pq.ParquetFile(source).metadata  # uncompressed size: what the frame would take in memory
    in_memory = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups)) <= limit
    frame = _finish(lf.rename(dict(zip(cols, names, strict=True))) if renamed else lf, dest, in_memory)
    return notes, frame


def read_dataset(source: Path | str, dest: Path, display_name: str | None = None, *,
                 options: ReadOptions | None = None, in_memory_max_bytes: int = IN_MEMORY_MAX_BYTES) -> Dataset:
    """Convert `source` (a local path or an s3:// URI) into Parquet at `dest`, streaming where possible, or
    into an in-memory frame when it takes at most `in_memory_max_bytes` (0: always Parquet).

    Raises `AgensiumError` naming the file: FILE_EMPTY, ENCODING_ERROR, UNSUPPORTED_FORMAT,
    UNREADABLE_FILE, FILES_NOT_FOUND (missing local file or S3 object), STORAGE_ERROR.
    """
    if s3.is_s3_uri(source):
        uri = str(source)
        dest.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=dest.parent) as tmp:
            local = s3.download(uri, Path(tmp))
            ds = read_dataset(local, dest, display_name or local.name, options=options,
                              in_memory_max_bytes=in_memory_max_bytes)
        ds.read_notes["source"] = uri
        return ds
    source = Path(source)
    name = display_name or source.name
    if not source.is_file():
        raise AgensiumError(ErrorCode.FILES_NOT_FOUND, f"{name}: file not found", {"file": name})
    if _GLOB_CHARS.search(str(source)):  # Polars scanners would expand "data[1].csv" as a glob
        with tempfile.TemporaryDirectory() as tmp:
            link = Path(tmp) / f"input{source.suffix}"
            link.symlink_to(source.resolve())
            return read_dataset(link, dest, name, options=options, in_memory_max_bytes=in_memory_max_bytes)
    ext = Path(name).suffix.lower().lstrip(".") or source.suffix.lower().lstrip(".")
    fmt = _detect_format(source, ext, name)
    dest.parent.mkdir(parents=True, exist_ok=True)
    limit = in_memory_max_bytes
    opts = options or ReadOptions()
    try:
        if fmt == "csv":
            notes, frame = read_csv(source, dest, name, ROW_ID, work=dest.parent, in_memory_max_bytes=limit,
                                    header_row=opts.header_row)
        elif fmt in ("xlsx", "xls"):
            df, notes = read_excel(source, name, opts.sheet, opts.header_row)
            frame = _finish(df, dest, _small(df, source, limit))
        elif fmt in ("json", "ndjson"):
            df, notes = read_json(source, name, fmt)
            frame = _finish(df, dest, _small(df, source, limit))
        else:
            notes, frame = _read_parquet(source, dest, name, limit)
    except AgensiumError:
        dest.unlink(missing_ok=True)
        raise
    except Exception as exc:
        dest.unlink(missing_ok=True)
        raise AgensiumError(ErrorCode.UNREADABLE_FILE, f"{name}: {(str(exc).splitlines() or [type(exc).__name__])[0]}",
                            {"file": name}) from exc
    ds = Dataset(path=dest, name=name, source_format=fmt, read_notes={"format": fmt, **notes}, frame=frame)
    rows, columns = ds.row_count, len(ds.columns)
    if rows == 0:
        dest.unlink(missing_ok=True)
        raise AgensiumError(ErrorCode.FILE_EMPTY, f"{name}: the file has no data rows",
                            {"file": name, "columns": columns})
    ds.read_notes.update(rows=rows, columns=columns)
    return ds
