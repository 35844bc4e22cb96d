"""The JSON report file."""

from __future__ import annotations

import json
import math
from datetime import date, datetime
from pathlib import Path
from typing import Any


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, set | frozenset | tuple):
        return _clean(list(value))
    for method in ("to_list", "tolist", "item"):  # polars Series, numpy arrays and scalars
        if hasattr(value, method):
            try:
                return _clean(getattr(value, method)())
            except (TypeError, ValueError):
                continue
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _clean(value: Any) -> Any:
    """JSON has no NaN/Infinity: write them as null so every parser reads the report."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def to_json_bytes(report: dict[str, Any]) -> bytes:
    return json.dumps(_clean(report), default=_default, ensure_ascii=False, allow_nan=False).encode()


def write_json(report: dict[str, Any], path: Path) -> Path:
    path.write_bytes(to_json_bytes(report))
    return path
