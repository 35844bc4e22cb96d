"""Recognise a file from its first bytes: format, text encoding, CSV dialect.

Used twice: by the readers (to choose how to parse) and by the web service, which checks an
upload's first 64 KiB before queuing a task, so a PDF renamed `.csv` is refused up front.
Everything here works on a bounded sample; nothing reads a whole file.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass, field

from agensium.engine.io.layout import find_header_row, preamble_text

SAMPLE_BYTES = 64 * 1024

MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "zip"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole2"),
    (b"PAR1", "parquet"),
    (b"%PDF", "pdf"),
    (b"\x89PNG", "png"),
    (b"GIF8", "gif"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"\x1f\x8b", "gzip"),
    (b"7z\xbc\xaf", "7z"),
    (b"Rar!", "rar"),
    (b"\x7fELF", "elf"),
    (b"MZ\x90\x00", "exe"),
    (b"SQLite format 3", "sqlite"),
)

TEXT_FORMATS = ("csv", "tsv", "txt", "json", "ndjson", "jsonl", "yaml", "yml")
DELIMITERS = (",", ";", "\t", "|")
_WESTERN_FALLBACKS = ("cp1252", "latin-1")
_TRUSTED_GUESSES = {
    "gb18030", "gbk", "gb2312", "big5", "big5hkscs", "shift_jis", "cp932", "euc_jp", "euc_jis_2004", "euc_kr",
    "cp949",
    "cp1251", "koi8_r", "cp1253", "cp1255", "cp1256", "iso8859_7", "iso8859_8",
}


@dataclass
class SniffResult:
    """What the first bytes of a file say it is. `ok` is False with a `reason` a user can act on."""

    format: str | None
    encoding: str | None = None
    delimiter: str | None = None
    ok: bool = True
    reason: str | None = None


@dataclass
class Dialect:
    delimiter: str = ","
    quotechar: str = '"'
    has_header: bool = True
    header: list[str] = field(default_factory=list)
    columns: int = 0
    short_rows: int = 0
    long_rows: int = 0
    sample_rows: int = 0
    preamble_rows: int = 0
    """Rows before the header to skip (Excel's `sep=;` hint line, titles, notes, blank rows)."""
    preamble: list[str] = field(default_factory=list)
    """The text of the skipped title and note rows."""

    @property
    def skip_rows(self) -> int:
        return self.preamble_rows + (1 if self.has_header else 0)


def magic_kind(head: bytes) -> str | None:
    for magic, kind in MAGIC:
        if head.startswith(magic):
            return kind
    return None


def bom_encoding(head: bytes) -> tuple[str | None, int]:
    """The encoding announced by a byte-order mark, and the mark's length."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", 3
    if head.startswith(codecs.BOM_UTF32_LE) or head.startswith(codecs.BOM_UTF32_BE):
        return ("utf-32-le" if head.startswith(codecs.BOM_UTF32_LE) else "utf-32-be"), 4
    if head.startswith(codecs.BOM_UTF16_LE):
        return "utf-16-le", 2
    if head.startswith(codecs.BOM_UTF16_BE):
        return "utf-16-be", 2
    return None, 0


def _utf16_without_bom(head: bytes) -> str | None:
    """UTF-16 text without a BOM: ASCII characters leave a NUL in every other byte."""
    sample = head[:4096]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    return None


def _decodes(data: bytes, encoding: str) -> bool:
    """True if `data` decodes strictly; a multi-byte character cut at the end of the sample is fine."""
    try:
        codecs.getincrementaldecoder(encoding)(errors="strict").decode(data, final=False)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def detect_encoding(head: bytes) -> str:
    """Pick the encoding of a text sample: BOM, then UTF-8, then a trusted guess, then cp1252/Latin-1.

    Returns a Python codec name ("utf-8", "utf-8-sig", "utf-16-le", "cp1252", …).
    """
    enc, _ = bom_encoding(head)
    if enc:
        return enc
    nobom = _utf16_without_bom(head)
    if nobom:
        return nobom
    if _decodes(head, "utf-8"):
        return "utf-8"
    from charset_normalizer import from_bytes

    matches = list(from_bytes(head[:SAMPLE_BYTES]))
    if matches:
        # near-equal "chaos" often hides the right answer (Shift-JIS read as Korean cp949 with no
        # language coherence): among the cleanest decodings, prefer the most coherent language
        floor = min(m.chaos for m in matches)
        best = max((m for m in matches if m.chaos <= floor + 0.05), key=lambda m: m.coherence)
        guess = codecs.lookup(best.encoding).name.replace("-", "_")
        if guess in _TRUSTED_GUESSES and _decodes(head, guess):
            return guess
    return "cp1252" if _decodes(head, "cp1252") else "latin-1"


def decode_sample(head: bytes, encoding: str) -> str:
    """Decode a sample, dropping a character cut in half at its end."""
    _, bom = bom_encoding(head)
    dec = codecs.getincrementaldecoder(encoding.replace("-sig", ""))(errors="replace")
    return dec.decode(head[bom:], final=False)


def looks_binary(text: str) -> bool:
    """Control characters (other than tab/CR/LF/FF) in more than 1% of the sample mean it is not text."""
    if not text:
        return False
    sample = text[:SAMPLE_BYTES]
    bad = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\r\n\f")
    return "\x00" in sample or bad > 0.01 * len(sample)


_NUMBER = re.compile(r"^[+-]?(\d[\d_]*\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2})?.*)?$|^\d{1,2}[/.]\d{1,2}[/.]\d{2,4}$")


def _typed(cell: str) -> bool:
    c = cell.strip()
    return bool(c) and bool(_NUMBER.match(c) or _DATE.match(c))


_SEP_HINT = re.compile(r"sep=(.)\r?\n")


def _complete_lines(text: str, max_lines: int) -> str:
    """The first `max_lines` lines, without a last line that the sample cut in the middle."""
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith(("\n", "\r")) and len(lines) > 1:
        lines = lines[:-1]
    return "".join(lines[:max_lines])


def _records(text: str, delimiter: str, quotechar: str) -> list[list[str]]:
    """Every CSV record, blank lines included as empty records (as Polars counts rows to skip)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar=quotechar, doublequote=True, strict=False)
    try:
        return list(reader)
    except csv.Error:
        return []


def _rows(text: str, delimiter: str, quotechar: str) -> list[list[str]]:
    return [r for r in _records(text, delimiter, quotechar) if r]


def _typed_ratio(body: list[list[str]], i: int) -> float | None:
    filled = [r[i] for r in body if i < len(r) and r[i].strip()]
    return sum(1 for c in filled if _typed(c)) / len(filled) if filled else None


def _has_header(first: list[str], body: list[list[str]]) -> bool:
    """A header unless the first row looks like data: its typed cells (numbers, dates) sit on typed
    columns and no text cell sits on top of a typed column (as `id` above 1, 2, 3 does)."""
    if not first:
        return True
    typed_cols = [i for i, cell in enumerate(first) if _typed(cell)]
    if not typed_cols:
        return True
    if not body:
        return len(typed_cols) < len(first)
    ratios = {i: _typed_ratio(body, i) for i in range(len(first))}
    text_over_typed = any(first[i].strip() and i not in typed_cols and (ratios[i] or 0) >= 0.8
                          for i in range(len(first)))
    data_like = all((ratios[i] if ratios[i] is not None else 1.0) >= 0.8 for i in typed_cols)
    return text_over_typed or not data_like


def _best_dialect(sample: str, default_delimiter: str) -> tuple[str, str, list[list[str]]]:
    """The (delimiter, quote) pair with the most consistent field count, then the one whose first line (the
    header) has that count too (';' over ',' in "name;amount / Jörg;1.234,56"), preferring more fields and `"`."""
    best: tuple[tuple[float, int, int, int], str, str, list[list[str]]] | None = None
    for quote in ('"', "'"):
        if quote == "'" and '"' in sample:
            continue
        for delim in DELIMITERS:
            rows = _rows(sample, delim, quote)
            if not rows:
                continue
            counts = [len(r) for r in rows]
            mode = max(set(counts), key=lambda c: (counts.count(c), c))
            if mode < 2:
                continue
            key = (round(counts.count(mode) / len(counts), 2), int(counts[0] == mode), mode, 1 if quote == '"' else 0)
            if best is None or key > best[0]:
                best = (key, delim, quote, rows)
    if best is None:
        return default_delimiter, '"', _rows(sample, default_delimiter, '"')
    return best[1], best[2], best[3]


def sniff_dialect(text: str, max_lines: int = 500, default_delimiter: str = ",", header_row: int | None = None
                  ) -> Dialect:
    """Delimiter, quote character, header row and header presence from the first lines (quote-aware).

    The delimiter is the candidate whose field count is the most consistent across the sample
    (header included), preferring more fields. Title, note and blank rows above the header are skipped
    (`layout.find_header_row`; `header_row`, 1-based, overrides it); a header is absent only when its
    typed-looking cells (numbers, dates) sit on columns whose values below are typed too.
    """
    sample = _complete_lines(text, max_lines)
    hint = _SEP_HINT.match(sample)
    if hint:  # Excel's "sep=;" line: the file names its delimiter
        sample = sample[hint.end():]
        delim, quote = hint.group(1), '"'
    else:
        delim, quote, _ = _best_dialect(sample, default_delimiter)
    records = _records(sample, delim, quote)
    start = header_row - 1 - (1 if hint else 0) if header_row else find_header_row(records)
    start = min(max(start, 0), max(len(records) - 1, 0))
    preamble = preamble_text(records, start)
    rows = [r for r in records[start:] if r]
    counts = [len(r) for r in rows]
    mode = max(set(counts), key=lambda c: (counts.count(c), c)) if counts else 1
    first = rows[0] if rows else []
    body = rows[1:]
    has_header = True if header_row else _has_header(first, body)
    ncols = max(len(first), mode) if has_header and first else mode  # data wider than its header: keep it
    if has_header:
        first = first + [""] * (ncols - len(first))
    data_rows = body if has_header else rows
    return Dialect(
        preamble_rows=(1 if hint else 0) + start, preamble=preamble, delimiter=delim, quotechar=quote,
        has_header=has_header,
        header=list(first) if has_header else [],
        columns=ncols, short_rows=sum(1 for r in data_rows if len(r) < ncols),
        long_rows=sum(1 for r in data_rows if len(r) > ncols), sample_rows=len(data_rows),
    )


_MARKUP = re.compile(r"\s*<(!doctype\s+html|html[\s>]|\?xml|table[\s>])", re.I)
_JSON_RECORDS = re.compile(r'\s*(\[\s*)?\{\s*("|\})')


def looks_like_markup(text: str) -> bool:
    """A web page or XML saved with a .csv/.txt name (a common 'export' that is not a table file)."""
    return bool(_MARKUP.match(text))


def looks_like_json_records(text: str) -> bool:
    """JSON records (`[{"…` or `{"…`) whatever the extension says."""
    return bool(_JSON_RECORDS.match(text))


def _sniff_json(text: str) -> str | None:
    stripped = text.lstrip()
    if stripped.startswith("["):
        return "json"
    if stripped.startswith("{"):
        lines = [ln.strip() for ln in stripped.splitlines() if ln.strip()]
        if len(lines) >= 2 and lines[0].startswith("{") and lines[0].endswith("}") and lines[1].startswith("{"):
            return "ndjson"
        return "json"
    return None


def _is_ooxml(head: bytes) -> bool:
    """An Office Open XML workbook: its zip names `[Content_Types].xml` or `xl/` parts near the start
    (some writers put the content-types entry last, beyond a 64 KiB head)."""
    return b"[Content_Types].xml" in head or b"xl/workbook.xml" in head or b"xl/worksheets/" in head


def sniff(head: bytes, declared_ext: str) -> SniffResult:
    """Check that the first bytes of an upload match its declared extension.

    `declared_ext` is the extension without the dot (csv, tsv, txt, xlsx, xls, json, ndjson, jsonl,
    parquet, yaml, yml). Returns the detected format, the encoding and delimiter for text, and
    `ok=False` with a reason when the content does not fit.
    """
    ext = declared_ext.lower().lstrip(".")
    if not head:
        return SniffResult(format=None, ok=False, reason="the file is empty")
    kind = magic_kind(head)
    if ext == "xlsx":
        if kind == "zip" and _is_ooxml(head):
            return SniffResult(format="xlsx")
        return SniffResult(format=kind, ok=False, reason="not an Excel .xlsx workbook (no Office Open XML zip)")
    if ext == "xls":
        if kind == "ole2":
            return SniffResult(format="xls")
        if kind == "zip" and _is_ooxml(head):
            return SniffResult(format="xlsx")
        return SniffResult(format=kind, ok=False, reason="not an Excel .xls workbook (no OLE2 header)")
    if ext == "parquet":
        if kind == "parquet":
            return SniffResult(format="parquet")
        return SniffResult(format=kind, ok=False, reason="not a Parquet file (no PAR1 header)")
    if ext not in TEXT_FORMATS:
        return SniffResult(format=kind, ok=False, reason=f"unsupported file type '.{ext}'")
    if kind is not None:
        return SniffResult(format=kind, ok=False, reason=f"the content is a {kind} file, not {ext} text")
    encoding = detect_encoding(head)
    text = decode_sample(head, encoding)
    if looks_binary(text):
        return SniffResult(format=None, encoding=encoding, ok=False, reason="the content is binary, not text")
    if ext in ("json", "ndjson", "jsonl"):
        fmt = _sniff_json(text)
        if fmt is None:
            return SniffResult(format=None, encoding=encoding, ok=False,
                               reason="JSON must start with '[' or '{'")
        return SniffResult(format=fmt, encoding=encoding)
    if ext in ("yaml", "yml"):
        return SniffResult(format="json" if _sniff_json(text) == "json" else "yaml", encoding=encoding)
    if not text.strip():
        return SniffResult(format="csv", encoding=encoding, ok=False, reason="the file holds only blank space")
    if looks_like_markup(text):
        return SniffResult(format="html", encoding=encoding, ok=False,
                           reason="the content is an HTML/XML page, not delimited text")
    if looks_like_json_records(text):
        return SniffResult(format=_sniff_json(text), encoding=encoding)
    dialect = sniff_dialect(text, default_delimiter="\t" if ext == "tsv" else ",")
    return SniffResult(format="csv", encoding=encoding, delimiter=dialect.delimiter)
