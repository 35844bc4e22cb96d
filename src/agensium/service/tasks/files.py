"""Rules for declared input files: extension, Content-Type and the display name.

The stored key never uses the client's file name (`inputs/{role}.{ext}`); the name is kept only as
display metadata, stripped of paths, control characters and odd Unicode forms.
"""

from __future__ import annotations

import unicodedata

from agensium.errors import AgensiumError, ErrorCode

CONTENT_TYPES: dict[str, tuple[str, ...]] = {
    # first entry = canonical type when the client sends none
    "csv": ("text/csv", "application/csv", "text/plain", "application/vnd.ms-excel", "text/x-csv"),
    "tsv": ("text/tab-separated-values", "text/plain", "text/csv"),
    "txt": ("text/plain", "text/csv"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "application/octet-stream"),
    "xls": ("application/vnd.ms-excel", "application/octet-stream"),
    "json": ("application/json", "text/json", "text/plain"),
    "ndjson": ("application/x-ndjson", "application/jsonl", "application/json", "text/plain"),
    "jsonl": ("application/jsonl", "application/x-ndjson", "application/json", "text/plain"),
    "parquet": ("application/vnd.apache.parquet", "application/x-parquet", "application/octet-stream"),
    "yaml": ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml", "text/plain"),
    "yml": ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml", "text/plain"),
}
PARAMETERS_CONTENT_TYPE = "application/json"
MAX_NAME = 200


def display_name(filename: str) -> str:
    """The last path component, NFC, without control/format characters, at most 200 characters."""
    name = unicodedata.normalize("NFKC", filename or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C")
    name = name.strip().strip(".") or "file"
    if len(name) > MAX_NAME:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: MAX_NAME - len(ext) - 1] + dot + ext) if dot and len(ext) <= 10 else name[:MAX_NAME]
    return name


def extension(filename: str, role: str, formats: tuple[str, ...]) -> str:
    name = display_name(filename)
    ext = name.rpartition(".")[2].lower() if "." in name else ""
    if ext not in formats:
        raise AgensiumError(
            ErrorCode.UNSUPPORTED_FORMAT,
            f"The {role} file must be one of: {', '.join(formats)} (got '{ext or 'no extension'}')",
            {"role": role, "extension": ext, "allowed": list(formats)},
        )
    return ext


def content_type_for(ext: str, declared: str | None, role: str) -> str:
    """The Content-Type the presigned PUT will be bound to; it must fit the extension."""
    allowed = CONTENT_TYPES.get(ext, ("application/octet-stream",))
    if not declared:
        return allowed[0]
    ct = declared.split(";", 1)[0].strip().lower()
    if ct not in allowed:
        raise AgensiumError(
            ErrorCode.UNSUPPORTED_FORMAT,
            f"Content-Type '{ct}' does not match a .{ext} file",
            {"role": role, "extension": ext, "content_type": ct, "allowed": list(allowed)},
        )
    return ct
