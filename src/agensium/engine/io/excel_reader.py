"""Excel workbooks (.xlsx, .xls) through calamine (fastexcel): one sheet into a DataFrame.

Types are inferred from every row (`infer_schema_length=None`): with the default sample a late text
value in a numeric column would silently become null.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

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


def read_excel(source: Path, name: str, sheet: str | int | None = None) -> tuple[pl.DataFrame, dict[str, Any]]:
    """The chosen sheet (first by default; by name or 0-based index) with unique column names."""
    reader = _open(source, name)
    sheets = list(reader.sheet_names)
    if not sheets:
        raise AgensiumError(ErrorCode.FILE_EMPTY, f"{name}: the workbook has no sheets", {"file": name})
    idx = _resolve_sheet(sheets, sheet, name)
    notes: dict[str, Any] = {"sheet": sheets[idx], "sheets": sheets}
    try:
        df = pl.read_excel(source, engine="calamine", sheet_id=idx + 1, infer_schema_length=None,
                           raise_if_empty=False)
        header_row = reader.load_sheet(idx, header_row=None, n_rows=1, dtypes="string").to_polars()
    except Exception as exc:
        raise AgensiumError(ErrorCode.UNREADABLE_FILE, f"{name}: sheet {sheets[idx]!r} cannot be read "
                            f"({_first_line(exc)})", {"file": name, "sheet": sheets[idx]}) from exc
    if df.width == 0 or df.height == 0:
        raise AgensiumError(ErrorCode.FILE_EMPTY, f"{name}: sheet {sheets[idx]!r} has no data rows",
                            {"file": name, "sheet": sheets[idx]})
    raw = [str(v) if v is not None else "" for v in (header_row.row(0) if header_row.height else ())]
    raw = (raw + [""] * df.width)[: df.width]
    names, renamed = unique_names(raw)
    if renamed:
        notes["renamed_columns"] = renamed
    return df.rename(dict(zip(df.columns, names, strict=True))), notes
