"""Excel workbooks (.xlsx, .xls) through calamine (fastexcel): one sheet into a DataFrame.

Types are inferred from every row (`infer_schema_length=None`): with the default sample a late text
value in a numeric column would silently become null.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from agensium.engine.io.layout import SCAN_ROWS, find_header_row, preamble_text
from agensium.engine.io.names import unique_names
from agensium.errors import AgensiumError, ErrorCode


def _open(source: Path, name: str) -> Any:
    import fastexcel

    try:
        return fastexcel.read_excel(source)
    except Exception as exc:
        raise AgensiumError(ErrorCode.UNREADABLE_FILE, f"{name}: not a readable Excel workbook ({_first_line(exc)})",
                            {"file": name}) from exc


def _first_line(exc: Exception) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0]


def _resolve_sheet(sheets: list[str], sheet: str | int | None, name: str) -> int:
    if sheet is None:
        return 0
    if isinstance(sheet, int) or (isinstance(sheet, str) and sheet.isdigit() and sheet not in sheets):
        idx = int(sheet)
        if 0 <= idx < len(sheets):
            return idx
    elif sheet in sheets:
        return sheets.index(sheet)
    raise AgensiumError(ErrorCode.INVALID_PARAMETERS, f"{name}: no sheet {sheet!r} (sheets: {', '.join(sheets)})",
                        {"file": name, "sheet": sheet, "sheets": sheets})


def read_excel(source: Path, name: str, sheet: str | int | None = None, header_row: int | None = None
               ) -> tuple[pl.DataFrame, dict[str, Any]]:
    """The chosen sheet (first by default; by name or 0-based index) from its header row (found, or
    `header_row`, 1-based), with unique column names."""
    reader = _open(source, name)
    sheets = list(reader.sheet_names)
    if not sheets:
        raise AgensiumError(ErrorCode.FILE_EMPTY, f"{name}: the workbook has no sheets", {"file": name})
    idx = _resolve_sheet(sheets, sheet, name)
    notes: dict[str, Any] = {"sheet": sheets[idx], "sheets": sheets}
    try:
        top = reader.load_sheet(idx, header_row=None, n_rows=SCAN_ROWS * 4, dtypes="string").to_polars()
        records = [[("" if v is None else str(v)) for v in row] for row in top.iter_rows()]
        start = header_row - 1 if header_row else find_header_row(records)
        df = pl.read_excel(source, engine="calamine", sheet_id=idx + 1, infer_schema_length=None,
                           raise_if_empty=False, read_options={"header_row": start})
    except Exception as exc:
        raise AgensiumError(ErrorCode.UNREADABLE_FILE, f"{name}: sheet {sheets[idx]!r} cannot be read "
                            f"({_first_line(exc)})", {"file": name, "sheet": sheets[idx]}) from exc
    if df.width == 0 or df.height == 0:
        raise AgensiumError(ErrorCode.FILE_EMPTY, f"{name}: sheet {sheets[idx]!r} has no data rows",
                            {"file": name, "sheet": sheets[idx]})
    if start:
        notes.update(skipped_preamble_rows=start, header_row=start + 1, preamble=preamble_text(records, start)[:10])
    header = records[start] if start < len(records) else []
    raw = (header + [""] * df.width)[: df.width]
    names, renamed = unique_names(raw)
    if renamed:
        notes["renamed_columns"] = renamed
    return df.rename(dict(zip(df.columns, names, strict=True))), notes
