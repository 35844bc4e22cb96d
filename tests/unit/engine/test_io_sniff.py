"""sniff(): the upload check the web service runs on the first 64 KiB of every file."""

from __future__ import annotations

import io

import polars as pl
import pytest
import xlsxwriter

from agensium.engine.io.names import unique_names
from agensium.engine.io.sniff import detect_encoding, sniff, sniff_dialect


def _xlsx_bytes() -> bytes:
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    wb.add_worksheet("S").write_row(0, 0, ["a", "b"])
    wb.close()
    return buf.getvalue()


def _parquet_bytes() -> bytes:
    buf = io.BytesIO()
    pl.DataFrame({"a": [1]}).write_parquet(buf)
    return buf.getvalue()


OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100


@pytest.mark.parametrize(
    ("head", "ext", "fmt", "ok"),
    [
        (b"a,b\n1,2\n", "csv", "csv", True),
        (b"a\tb\n1\t2\n", "tsv", "csv", True),
        ("a;b\né;2\n".encode("cp1252"), "csv", "csv", True),
        (b"\xff\xfe" + "a,b\n1,2\n".encode("utf-16-le"), "csv", "csv", True),
        (b"%PDF-1.4\n...", "csv", "pdf", False),
        (b"\x00\x01\x02\x03" * 100, "csv", None, False),
        (b"", "csv", None, False),
        (b"PK\x03\x04" + b"x" * 50, "xlsx", "zip", False),  # a zip that is not an Office workbook
        (b"a,b\n1,2\n", "xlsx", None, False),
        (OLE2, "xls", "xls", True),
        (b"a,b\n", "xls", None, False),
        (b'  [{"a": 1}]', "json", "json", True),
        (b'{"a": 1}\n{"a": 2}\n', "jsonl", "ndjson", True),
        (b'{"data": [{"a": 1}]}', "json", "json", True),
        (b"hello", "json", None, False),
        (b"PAR1\x15\x04", "parquet", "parquet", True),
        (b"a,b\n", "parquet", None, False),
        (b"columns:\n  - name: id\n", "yaml", "yaml", True),
        (b'{"columns": []}', "json", "json", True),
        (b"a,b\n", "docx", None, False),
        (b"<!DOCTYPE html><html><body>", "csv", "html", False),
        (b'[{"a": 1}]', "csv", "json", True),  # JSON named .csv is recognised as JSON
        (b"{id},name\n1,x\n", "csv", "csv", True),
    ],
)
def test_sniff_cases(head: bytes, ext: str, fmt: str | None, ok: bool) -> None:
    result = sniff(head, ext)
    assert result.ok is ok, result.reason
    assert result.format == fmt
    if not ok:
        assert result.reason


def test_sniff_real_xlsx_and_parquet() -> None:
    assert sniff(_xlsx_bytes()[:65536], "xlsx").ok
    assert sniff(_xlsx_bytes()[:65536], "xls").format == "xlsx"  # an xlsx named .xls still reads
    assert sniff(_parquet_bytes(), "parquet").ok


def test_sniff_reports_encoding_and_delimiter() -> None:
    r = sniff("id|name\n1|Zoë\n".encode(), "csv")
    assert (r.encoding, r.delimiter) == ("utf-8", "|")
    r = sniff("id;name\n1;Zoë\n".encode("cp1252"), "txt")
    assert (r.encoding, r.delimiter) == ("cp1252", ";")


def test_detect_encoding_handles_a_cut_multibyte_character() -> None:
    data = ("a,b\n" + "é" * 10).encode("utf-8")
    assert detect_encoding(data[:-1]) == "utf-8"


def test_dialect_single_quote_and_header() -> None:
    d = sniff_dialect("name,score\n'Smith, J',3\n'Doe, A',4\n")
    assert d.quotechar == "'" and d.delimiter == "," and d.has_header and d.header == ["name", "score"]
    d = sniff_dialect("x,y\n\"O'Brien\",1\n\"D'Arcy\",2\n")
    assert d.quotechar == '"'


def test_unique_names() -> None:
    assert unique_names(["a", "a", "", "a_2", None]) == (
        ["a", "a_3", "column_3", "a_2", "column_5"],
        {"2: a": "a_3", "3: ": "column_3", "5: ": "column_5"},
    )


@pytest.mark.parametrize(
    ("text", "header"),
    [
        ("id,2019,2020\n1,5,6\n2,7,8\n", True),  # year-named columns under a text header cell
        ("1,2,3\n", False),  # one data row, no header
        ("1,2.5,x\n2,3.5,y\n", False),
        ("2020-01-01,5\n2020-01-02,6\n", False),
        ("name\nann\nbob\n", True),
        ("a,b\n1,2\n", True),
    ],
)
def test_header_detection(text: str, header: bool) -> None:
    assert sniff_dialect(text).has_header is header


def test_semicolon_file_with_decimal_commas_in_every_row() -> None:
    """Every data row has one ';' and one ',' (a decimal comma): the header, which has only ';', decides."""
    text = "naam;bedrag\n" + "Jörg;1.234,56\nZoë;12,5\nAnn;0,99\n" * 200
    d = sniff_dialect(text)
    assert d.delimiter == ";" and d.header == ["naam", "bedrag"] and d.columns == 2
