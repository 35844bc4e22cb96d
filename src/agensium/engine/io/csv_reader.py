"""CSV/TSV/TXT into typed Parquet, streaming, or into a DataFrame when the file is small.

The sniffed dialect drives `pl.scan_csv(...).sink_parquet`, so a 10M-row file never sits in memory.
Files that are not UTF-8 are first transcoded to a UTF-8 temp file in fixed-size chunks. Types are
inferred from the first 10,000 rows; a column whose type a later value breaks is read as String
instead (retry per offending column), so no value is ever dropped or nulled by the reader.
"""

from __future__ import annotations

import codecs
import re
import tempfile
from pathlib import Path
from typing import Any

import polars as pl

from agensium.engine.agent import SCRATCH_COMPRESSION
from agensium.engine.io.names import unique_names
from agensium.engine.io.sniff import (
    SAMPLE_BYTES,
    bom_encoding,
    decode_sample,
    detect_encoding,
    looks_binary,
    magic_kind,
    sniff_dialect,
)
from agensium.errors import AgensiumError, ErrorCode

INFER_ROWS = 10_000
CHUNK = 4 * 1024 * 1024
_BAD_COLUMN = re.compile(r"at column '.*?' \(column number (\d+)\)", re.S)


def transcode_to_utf8(source: Path, encoding: str, dest: Path, name: str, cr_newlines: bool = False) -> None:
    """Rewrite `source` as UTF-8 in chunks (bounded memory); undecodable bytes are an ENCODING_ERROR.

    `cr_newlines`: the file ends its lines with a bare CR (old Mac), which Polars does not split on.
    """
    with source.open("rb") as src:
        _, bom = bom_encoding(src.read(4))
    decoder = codecs.getincrementaldecoder(encoding.replace("-sig", ""))(errors="strict")
    offset = bom
    try:
        with source.open("rb") as src, dest.open("w", encoding="utf-8", newline="") as out:
            src.seek(bom)
            while chunk := src.read(CHUNK):
                decoded = decoder.decode(chunk)
                out.write(decoded.replace("\r", "\n") if cr_newlines else decoded)
                offset += len(chunk)
            out.write(decoder.decode(b"", final=True))
    except UnicodeDecodeError as exc:
        raise AgensiumError(
            ErrorCode.ENCODING_ERROR, f"{name}: bytes that are not valid {encoding} near byte {offset + exc.start}",
            {"file": name, "encoding": encoding},
        ) from exc


def _scan(path: Path, schema: dict[str, pl.DataType], dialect: Any, lossy: bool, ragged: bool) -> pl.LazyFrame:
    return pl.scan_csv(
        path, glob=False, has_header=False, skip_rows=dialect.skip_rows, schema=schema,
        separator=dialect.delimiter, quote_char=dialect.quotechar, truncate_ragged_lines=ragged,
        encoding="utf8-lossy" if lossy else "utf8", missing_columns="insert",
        extra_columns="ignore" if ragged else "raise",
    )


def _count_long_rows(path: Path, schema: dict[str, pl.DataType], dialect: Any, lossy: bool) -> int:
    """Rows with more fields than the header: read one extra column and count where it is filled."""
    extra = {**{k: pl.String() for k in schema}, "__extra_field__": pl.String()}
    lf = _scan(path, extra, dialect, lossy, ragged=True)
    return int(lf.select(pl.col("__extra_field__").is_not_null().sum()).collect().item())


def read_csv(source: Path, dest: Path, name: str, row_id: str, work: Path | None = None,
             in_memory_max_bytes: int = 0, header_row: int | None = None) -> tuple[dict[str, Any], pl.DataFrame | None]:
    """Write `source` as Parquet at `dest` (ROW_ID first), or return it as a DataFrame when the text is at
    most `in_memory_max_bytes` long (a frame takes about as much memory as its CSV text); returns the
    read notes and the frame (None when written to `dest`)."""
    size = source.stat().st_size
    if size == 0:
        raise AgensiumError(ErrorCode.FILE_EMPTY, f"{name}: the file is empty (0 bytes)", {"file": name})
    with source.open("rb") as fh:
        head = fh.read(SAMPLE_BYTES)
    kind = magic_kind(head)
    if kind is not None:
        raise AgensiumError(ErrorCode.UNSUPPORTED_FORMAT, f"{name}: the content is a {kind} file, not CSV text",
                            {"file": name, "detected": kind})
    encoding = detect_encoding(head)
    text = decode_sample(head, encoding)
    if looks_binary(text):
        raise AgensiumError(ErrorCode.UNSUPPORTED_FORMAT, f"{name}: the content is binary, not CSV text",
                            {"file": name})
    if not text.strip():
        raise AgensiumError(ErrorCode.FILE_EMPTY, f"{name}: the file holds only blank space", {"file": name})
    dialect = sniff_dialect(text, default_delimiter="\t" if source.suffix.lower() == ".tsv" else ",",
                            header_row=header_row)
    notes: dict[str, Any] = {"encoding": encoding, "delimiter": dialect.delimiter, "quote_char": dialect.quotechar,
                             "header": dialect.has_header}
    if dialect.preamble_rows:
        notes["skipped_preamble_rows"] = dialect.preamble_rows
        notes["header_row"] = dialect.preamble_rows + 1
    if dialect.preamble:
        notes["preamble"] = dialect.preamble[:10]
    # An ASCII sample says nothing about the rest: a cp1252 file whose first accent sits past the
    # sample must be transcoded, not have its accents replaced; real UTF-8 with a few bad bytes is read lossily.
    lossy_ok = not head.isascii()
    with tempfile.TemporaryDirectory(dir=work) as tmp:
        path = source
        cr_only = "\r" in text and "\n" not in text
        if encoding not in ("utf-8", "utf-8-sig") or cr_only:
            path = Path(tmp) / "utf8.csv"
            transcode_to_utf8(source, encoding, path, name, cr_newlines=cr_only)
            if encoding not in ("utf-8", "utf-8-sig"):
                notes["transcoded_from"] = encoding
            if cr_only:
                notes["line_endings"] = "CR (converted)"
        try:
            frame = _convert(path, dest, name, row_id, dialect, notes, lossy_ok, in_memory_max_bytes)
        except _NotUtf8:
            fallback = "cp1252"
            path = Path(tmp) / "utf8.csv"
            try:
                transcode_to_utf8(source, fallback, path, name, cr_newlines=cr_only)
            except AgensiumError:
                fallback = "latin-1"
                transcode_to_utf8(source, fallback, path, name, cr_newlines=cr_only)
            notes.update(encoding=fallback, transcoded_from=fallback)
            frame = _convert(path, dest, name, row_id, dialect, notes, lossy_ok=True,
                             in_memory_max_bytes=in_memory_max_bytes)
    return notes, frame


class _NotUtf8(Exception):
    """Invalid UTF-8 after an ASCII-only sample: the file is in a single-byte encoding."""


def _convert(path: Path, dest: Path, name: str, row_id: str, dialect: Any, notes: dict[str, Any],
             lossy_ok: bool, in_memory_max_bytes: int = 0) -> pl.DataFrame | None:
    raw_names = dialect.header if dialect.has_header else [""] * dialect.columns
    names, renamed = unique_names(raw_names)
    if renamed:
        notes["renamed_columns"] = renamed
    lossy = False
    inferred = _infer(path, dialect, len(names), lossy=False)
    if inferred is None:
        if not lossy_ok:
            raise _NotUtf8
        lossy = True
        inferred = _infer(path, dialect, len(names), lossy=True)
        notes["invalid_utf8_replaced"] = True
    schema: dict[str, pl.DataType] = dict(zip(names, inferred, strict=True))
    in_memory = in_memory_max_bytes > 0 and memory_estimate(path, schema, dialect, lossy) <= in_memory_max_bytes
    as_string: list[str] = []
    widened: list[str] = []
    ragged = False
    frame: pl.DataFrame | None = None
    for attempt in range(2 * len(names) + 2):
        # each attempt writes its own file: an aborted sink may still be closing the previous one
        target = dest.with_name(f"{dest.name}.try{attempt}")
        try:
            lf = _scan(path, schema, dialect, lossy, ragged)
            lf = lf.with_row_index(row_id).with_columns(pl.col(row_id).cast(pl.Int64))
            if in_memory:
                frame = lf.collect().rechunk()
            else:
                lf.sink_parquet(target, compression=SCRATCH_COMPRESSION)
                target.replace(dest)
            break
        except (pl.exceptions.ComputeError, pl.exceptions.SchemaError) as exc:
            target.unlink(missing_ok=True)
            msg = str(exc)
            match = _BAD_COLUMN.search(msg)
            if match and 0 < int(match.group(1)) <= len(names):
                col = names[int(match.group(1)) - 1]
                if schema[col].is_integer():  # a late "3.5" in an integer column: widen, keep it numeric
                    schema[col] = pl.Float64()
                    widened.append(col)
                    continue
                if schema[col] != pl.String():
                    schema[col] = pl.String()
                    as_string.append(col)
                    if col in widened:
                        widened.remove(col)
                    continue
            if ("more fields than defined" in msg or "not specified in schema" in msg) and not ragged:
                ragged = True
                continue
            if "invalid utf-8" in msg and not lossy:
                if not lossy_ok:
                    raise _NotUtf8 from exc
                lossy = True
                notes["invalid_utf8_replaced"] = True
                continue
            raise AgensiumError(ErrorCode.UNREADABLE_FILE, f"{name}: {msg.splitlines()[0]}", {"file": name}) from exc
    else:  # pragma: no cover - each retry fixes one column, so the loop always ends by break
        raise AgensiumError(ErrorCode.UNREADABLE_FILE, f"{name}: could not be parsed as CSV", {"file": name})
    if as_string:
        notes["read_as_text"] = as_string
    if widened:
        notes["read_as_float"] = widened
    long_rows = _count_long_rows(path, schema, dialect, lossy) if ragged else 0
    if long_rows or dialect.short_rows:
        notes["ragged_rows"] = {"long_rows_truncated": long_rows, "short_rows_in_sample": dialect.short_rows}
    return frame


ESTIMATE_ROWS = 2_000


def memory_estimate(path: Path, schema: dict[str, pl.DataType], dialect: Any, lossy: bool) -> int:
    """Bytes the whole file would take as a DataFrame, extrapolated from its first rows.

    Text size is a poor guide on its own: in memory every string costs a 16-byte view (plus its bytes
    beyond 12) and every number 8 bytes, so a file of short fields can grow eight-fold."""
    size = path.stat().st_size
    text_schema = {c: pl.String() for c in schema}
    try:
        head = _scan(path, text_schema, dialect, lossy, ragged=True).head(ESTIMATE_ROWS).collect()
    except pl.exceptions.PolarsError:
        return size * 8  # unreadable here: the full read reports it; assume the worst meanwhile
    if head.height == 0:
        return 0
    lengths = head.select(pl.all().str.len_bytes().fill_null(0))
    text_bytes = int(lengths.sum().sum_horizontal().item()) + head.height * len(schema)  # plus separators
    per_row = 0.0
    for c, dtype in schema.items():
        if dtype == pl.String:
            long = lengths[c].filter(lengths[c] > 12)
            per_row += 16 + (float(long.sum()) / head.height)
        else:
            per_row += 1 if dtype == pl.Boolean else 8  # CSV types: 64-bit numbers and datetimes, bit-packed bools
    return int(size / max(1, text_bytes) * head.height * per_row)


def _infer(path: Path, dialect: Any, ncols: int, lossy: bool) -> list[pl.DataType] | None:
    """Column types from the first INFER_ROWS rows (positional; padded with String)."""
    try:
        lf = pl.scan_csv(
            path, glob=False, has_header=False, skip_rows=dialect.skip_rows, separator=dialect.delimiter,
            quote_char=dialect.quotechar, infer_schema_length=INFER_ROWS, truncate_ragged_lines=True,
            encoding="utf8-lossy" if lossy else "utf8",
        )
        dtypes = list(lf.collect_schema().values())
    except pl.exceptions.ComputeError as exc:
        if "invalid utf-8" in str(exc) and not lossy:
            return None
        raise
    except pl.exceptions.NoDataError:
        dtypes = []
    dtypes = [pl.String() if d == pl.Null() else d for d in dtypes[:ncols]]
    return dtypes + [pl.String()] * (ncols - len(dtypes))
