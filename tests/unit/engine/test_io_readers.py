"""read_dataset: every format, encoding, dialect and error path, checked against the values written."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
import xlsxwriter

from agensium.engine.agent import ROW_ID
from agensium.engine.io import s3
from agensium.engine.io.layout import ReadOptions
from agensium.engine.io.readers import read_dataset
from agensium.errors import AgensiumError, ErrorCode


def _read(tmp_path: Path, name: str, content: bytes, **kw) -> tuple[pl.DataFrame, dict]:
    """Read twice: into memory (small files) and streamed to Parquet; both must give the same table."""
    src = tmp_path / name
    src.write_bytes(content)
    ds = read_dataset(src, tmp_path / "out.parquet", **kw)
    assert ds.frame is not None and not ds.path.exists()  # small: held in memory, nothing written yet
    streamed = read_dataset(src, tmp_path / "streamed.parquet", in_memory_max_bytes=0, **kw)
    assert streamed.frame is None and streamed.path.is_file()
    df = ds.frame
    assert df.columns[0] == ROW_ID and df.schema[ROW_ID] == pl.Int64
    assert df[ROW_ID].to_list() == list(range(df.height))
    assert pl.read_parquet(streamed.path).equals(df) and streamed.read_notes == ds.read_notes
    assert pl.read_parquet(ds.file()).equals(df)  # written out on demand, same table
    return df.drop(ROW_ID), ds.read_notes


def _error(tmp_path: Path, name: str, content: bytes) -> AgensiumError:
    src = tmp_path / name
    src.write_bytes(content)
    with pytest.raises(AgensiumError) as info:
        read_dataset(src, tmp_path / "out.parquet")
    assert name in info.value.message
    assert not (tmp_path / "out.parquet").exists()
    return info.value


CSV_ROWS = [["id", "city", "amount"], ["1", "Zürich", "3.5"], ["2", "Málaga", "4"], ["3", "Łódź", ""]]


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16"])
def test_csv_delimiters_and_unicode_encodings(tmp_path: Path, delimiter: str, encoding: str) -> None:
    text = "\n".join(delimiter.join(r) for r in CSV_ROWS) + "\n"
    df, notes = _read(tmp_path, "data.csv", text.encode(encoding))
    assert notes["delimiter"] == delimiter
    assert df.columns == ["id", "city", "amount"]
    assert df["city"].to_list() == ["Zürich", "Málaga", "Łódź"]
    assert df["amount"].to_list() == [3.5, 4.0, None]
    assert df.schema["id"] == pl.Int64
    assert notes["rows"] == 3


def test_utf16_big_endian_with_bom(tmp_path: Path) -> None:
    text = "a,b\n1,é\n"
    df, notes = _read(tmp_path, "be.csv", b"\xfe\xff" + text.encode("utf-16-be"))
    assert notes["encoding"] == "utf-16-be"
    assert df["b"].to_list() == ["é"]


def test_cp1252_is_transcoded(tmp_path: Path) -> None:
    text = "name,price\n" + "".join(f"Café {i},{i}€\n" for i in range(50))
    df, notes = _read(tmp_path, "latin.csv", text.encode("cp1252"))
    assert notes["encoding"] == "cp1252" and notes["transcoded_from"] == "cp1252"
    assert df["name"][3] == "Café 3" and df["price"][7] == "7€"


NON_WESTERN = {
    "cp1251": (["Иван Петров", "Мария Смирнова", "Сергей Кузнецов", "Ольга Попова"],
               ["Москва", "Санкт-Петербург", "Новосибирск"], "клиент оплатил заказ"),
    "shift_jis": (["山田太郎", "佐藤花子", "鈴木一郎", "高橋美咲"], ["東京", "大阪", "名古屋"], "注文は支払い済みです"),
}


@pytest.mark.parametrize("encoding", list(NON_WESTERN))
def test_non_western_single_and_multibyte_encodings(tmp_path: Path, encoding: str) -> None:
    """Realistic (varied) text: charset detection is statistical and needs more than one repeated word."""
    people, cities, note = NON_WESTERN[encoding]
    text = "name,city,note\n" + "".join(f"{people[i % 4]},{cities[i % 3]},{note} {i}\n" for i in range(300))
    df, notes = _read(tmp_path, "x.csv", text.encode(encoding))
    assert df["name"][5] == people[1] and df["city"][2] == cities[2] and df["note"][7] == f"{note} 7"
    assert notes["transcoded_from"] == notes["encoding"] and df.height == 300


def test_quoted_fields_with_delimiters_and_newlines(tmp_path: Path) -> None:
    text = 'id;comment\n1;"a; b"\n2;"line1\nline2"\n3;"say ""hi"""\n'
    df, notes = _read(tmp_path, "q.csv", text.encode())
    assert notes["delimiter"] == ";"
    assert df["comment"].to_list() == ["a; b", "line1\nline2", 'say "hi"']


def test_european_decimal_commas_do_not_fool_the_sniffer(tmp_path: Path) -> None:
    text = "a;b\n1,5;2,25\n3,0;4,75\n"
    df, notes = _read(tmp_path, "eu.csv", text.encode())
    assert notes["delimiter"] == ";" and df.columns == ["a", "b"] and df.height == 2


def test_excel_sep_hint_line(tmp_path: Path) -> None:
    df, notes = _read(tmp_path, "hint.csv", b"sep=;\nname;amount\nann;1,5\nbob;2\n")
    assert notes["delimiter"] == ";" and notes["skipped_preamble_rows"] == 1
    assert df.columns == ["name", "amount"] and df["name"].to_list() == ["ann", "bob"]


def test_old_mac_cr_line_endings(tmp_path: Path) -> None:
    df, notes = _read(tmp_path, "mac.csv", b"a,b\r1,x\r2,y\r")
    assert df.rows() == [(1, "x"), (2, "y")] and notes["line_endings"] == "CR (converted)"


def test_headerless_numeric_csv(tmp_path: Path) -> None:
    df, notes = _read(tmp_path, "nohdr.csv", b"1,2.5,x\n2,3.5,y\n3,4.5,z\n")
    assert notes["header"] is False
    assert df.columns == ["column_1", "column_2", "column_3"]
    assert df["column_1"].to_list() == [1, 2, 3]


def test_duplicate_and_empty_header_names(tmp_path: Path) -> None:
    df, notes = _read(tmp_path, "dup.csv", b"name,name,,age\nA,B,C,1\n")
    assert df.columns == ["name", "name_2", "column_3", "age"]
    assert df.row(0) == ("A", "B", "C", 1)
    assert notes["renamed_columns"] == {"2: name": "name_2", "3: ": "column_3"}


def test_late_odd_value_falls_back_to_string_without_losing_values(tmp_path: Path) -> None:
    body = "".join(f"{i},{i * 2}\n" for i in range(12_000))
    df, notes = _read(tmp_path, "late.csv", ("a,b\n" + body + "n/a,5\n").encode())
    assert notes["read_as_text"] == ["a"]
    assert df.schema["a"] == pl.String and df.schema["b"] == pl.Int64
    assert df["a"][-1] == "n/a" and df["a"][11_999] == "11999"
    assert df.height == 12_001 and df["a"].null_count() == 0


def test_late_values_widen_ints_to_float_and_others_to_string(tmp_path: Path) -> None:
    body = "".join(f"{i},true,{i}.5\n" for i in range(12_000))
    df, notes = _read(tmp_path, "late2.csv", ("i,b,f\n" + body + "3.25,maybe,x\n").encode())
    assert notes["read_as_float"] == ["i"] and notes["read_as_text"] == ["b", "f"]
    assert df.schema["i"] == pl.Float64 and df["i"][-1] == 3.25 and df["i"][5] == 5.0
    assert df["b"][-1] == "maybe" and df["b"][0] == "true" and df["f"][-1] == "x"


def test_ragged_rows_are_kept_and_counted(tmp_path: Path) -> None:
    df, notes = _read(tmp_path, "rag.csv", b"a,b,c\n1,2,3\n4,5\n6,7,8,9\n10,11,12,13,14\n")
    assert df.height == 4
    assert df["c"].to_list() == [3, None, 8, 12]
    assert notes["ragged_rows"] == {"long_rows_truncated": 2, "short_rows_in_sample": 1}


def test_data_wider_than_its_header_keeps_every_value(tmp_path: Path) -> None:
    df, _ = _read(tmp_path, "wide.csv", b"a,b\n1,2,3\n4,5,6\n")
    assert df.columns == ["a", "b", "column_3"] and df["column_3"].to_list() == [3, 6]


def test_first_data_row_longer_than_the_rest(tmp_path: Path) -> None:
    df, notes = _read(tmp_path, "first.csv", b"a,b\n1,2,99\n3,4\n5,6\n7,8\n")
    assert df.columns == ["a", "b"] and df.rows() == [(1, 2), (3, 4), (5, 6), (7, 8)]
    assert notes["ragged_rows"]["long_rows_truncated"] == 1


def test_header_only_csv_is_file_empty(tmp_path: Path) -> None:
    assert _error(tmp_path, "h.csv", b"a,b,c\n").code == ErrorCode.FILE_EMPTY
    assert _error(tmp_path, "z.csv", b"").code == ErrorCode.FILE_EMPTY
    assert _error(tmp_path, "blank.csv", b"\n\n  \n").code == ErrorCode.FILE_EMPTY


def test_binary_content_named_csv_is_refused(tmp_path: Path) -> None:
    assert _error(tmp_path, "doc.csv", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj").code == ErrorCode.UNSUPPORTED_FORMAT
    junk = bytes(range(256)) * 40
    assert _error(tmp_path, "junk.csv", junk).code == ErrorCode.UNSUPPORTED_FORMAT


def test_broken_utf16_is_an_encoding_error(tmp_path: Path) -> None:
    content = b"\xff\xfe" + "a,b\n1,2\n".encode("utf-16-le") + b"\x00\xd8\x41"  # lone surrogate, odd length
    assert _error(tmp_path, "u16.csv", content).code == ErrorCode.ENCODING_ERROR


def test_cp1252_accent_after_an_ascii_sample_is_transcoded_not_replaced(tmp_path: Path) -> None:
    content = b"a,b\n" + b"x,y\n" * 30_000 + b"caf\xe9,1\n"
    df, notes = _read(tmp_path, "late_latin.csv", content)
    assert df.height == 30_001 and df["a"][-1] == "café"
    assert notes["encoding"] == "cp1252" and "invalid_utf8_replaced" not in notes


def test_utf8_file_with_a_stray_bad_byte_is_read_lossily_and_says_so(tmp_path: Path) -> None:
    content = "a,b\nZoë,1\n".encode() + b"x,y\n" * 30_000 + b"caf\xe9,1\n"
    df, notes = _read(tmp_path, "mixed.csv", content)
    assert df.height == 30_002 and df["a"][0] == "Zoë" and df["a"][-1] == "caf\ufffd"
    assert notes["encoding"] == "utf-8" and notes["invalid_utf8_replaced"] is True


def _xlsx(path: Path, sheets: dict[str, list[list]]) -> None:
    wb = xlsxwriter.Workbook(path)
    for name, rows in sheets.items():
        ws = wb.add_worksheet(name)
        for i, r in enumerate(rows):
            ws.write_row(i, 0, r)
    wb.close()


def test_excel_sheet_by_name_index_and_default(tmp_path: Path) -> None:
    src = tmp_path / "book.xlsx"
    late = [["a", "a", "", "b"]] + [[i, 2, 3, "x"] for i in range(1, 300)] + [["late", 2, 3, "y"]]
    _xlsx(src, {"First": late, "Second": [["k", "v"], ["one", 1.5]]})
    ds = read_dataset(src, tmp_path / "o1.parquet")
    df = pl.read_parquet(ds.file())
    assert df.columns == [ROW_ID, "a", "a_2", "column_3", "b"]
    assert df["a"][-1] == "late" and df["a"][0] == "1" and df.height == 300  # late text kept, not nulled
    assert ds.read_notes["sheets"] == ["First", "Second"] and ds.read_notes["sheet"] == "First"
    for sheet in ("Second", 1):
        ds2 = read_dataset(src, tmp_path / f"o-{sheet}.parquet", options=ReadOptions(sheet=sheet))
        assert pl.read_parquet(ds2.file()).drop(ROW_ID).rows() == [("one", 1.5)]
    with pytest.raises(AgensiumError) as info:
        read_dataset(src, tmp_path / "o3.parquet", options=ReadOptions(sheet="Nope"))
    assert "Second" in info.value.message


def test_broken_xlsx_zip(tmp_path: Path) -> None:
    assert _error(tmp_path, "bad.xlsx", b"PK\x03\x04garbage").code == ErrorCode.UNREADABLE_FILE
    assert _error(tmp_path, "text.xlsx", b"a,b\n1,2\n").code == ErrorCode.UNREADABLE_FILE


def test_excel_header_only_sheet_is_empty(tmp_path: Path) -> None:
    src = tmp_path / "h.xlsx"
    _xlsx(src, {"S": [["a", "b"]]})
    with pytest.raises(AgensiumError) as info:
        read_dataset(src, tmp_path / "o.parquet")
    assert info.value.code == ErrorCode.FILE_EMPTY


RECORDS = [{"id": 1, "who": {"name": "Ann", "geo": {"lat": 1}}, "tags": ["a", "b"]},
           {"id": "two", "who": {"name": None, "geo": None}, "tags": []}]


@pytest.mark.parametrize("layout", ["array", "data", "records", "ndjson", "ndjson-as-json"])
def test_json_layouts_and_flattening(tmp_path: Path, layout: str) -> None:
    if layout == "array":
        name, content = "r.json", json.dumps(RECORDS)
    elif layout in ("data", "records"):
        name, content = "r.json", json.dumps({"meta": 1, layout: RECORDS})
    else:
        name = "r.jsonl" if layout == "ndjson" else "r.json"
        content = "\n".join(json.dumps(r) for r in RECORDS) + "\n"
    df, notes = _read(tmp_path, name, content.encode())
    assert df.columns == ["id", "who.name", "who.geo", "tags"]
    assert df["id"].to_list() == ["1", "two"]  # mixed types kept as text
    assert df["who.name"].to_list() == ["Ann", None]
    assert json.loads(df["who.geo"][0]) == {"lat": 1}
    assert json.loads(df["tags"][0]) == ["a", "b"]
    assert notes["json_string_columns"] == ["who.geo", "tags"]


def test_json_errors(tmp_path: Path) -> None:
    assert _error(tmp_path, "e.json", b"[]").code == ErrorCode.FILE_EMPTY
    assert _error(tmp_path, "bad.json", b'[{"a": 1,').code == ErrorCode.UNREADABLE_FILE
    assert _error(tmp_path, "obj.json", b'{"a": 1, "b": 2}').code == ErrorCode.UNSUPPORTED_FORMAT
    assert _error(tmp_path, "txt.json", b"hello world").code == ErrorCode.UNREADABLE_FILE


def test_parquet_is_scanned_and_user_row_id_column_renamed(tmp_path: Path) -> None:
    src = tmp_path / "in.parquet"
    pl.DataFrame({ROW_ID: [9, 8], "x": ["a", "b"]}).write_parquet(src)
    ds = read_dataset(src, tmp_path / "o.parquet")
    df = pl.read_parquet(ds.file())
    assert df.columns == [ROW_ID, f"{ROW_ID}_2", "x"]
    assert df[f"{ROW_ID}_2"].to_list() == [9, 8] and df[ROW_ID].to_list() == [0, 1]


def test_json_named_csv_is_read_as_json_and_html_is_refused(tmp_path: Path) -> None:
    df, notes = _read(tmp_path, "export.csv", b'[{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]')
    assert notes["format"] == "json" and df.rows() == [(1, "x"), (2, "y")]
    (tmp_path / "html").mkdir()
    assert _error(tmp_path / "html", "page.csv", b"<!DOCTYPE html>\n<html><table>").code == ErrorCode.UNSUPPORTED_FORMAT


def test_missing_file_and_unknown_extension(tmp_path: Path) -> None:
    with pytest.raises(AgensiumError) as info:
        read_dataset(tmp_path / "nope.csv", tmp_path / "o.parquet")
    assert info.value.code == ErrorCode.FILES_NOT_FOUND
    assert _error(tmp_path, "x.docx", b"hello").code == ErrorCode.UNSUPPORTED_FORMAT


class _FakeS3:
    def __init__(self, objects: dict[tuple[str, str], bytes]) -> None:
        self.objects = objects

    def download_fileobj(self, bucket: str, key: str, fh) -> None:
        from botocore.exceptions import ClientError

        if (bucket, key) not in self.objects:
            raise ClientError({"Error": {"Code": "NoSuchKey", "Message": "gone"}}, "GetObject")
        fh.write(self.objects[(bucket, key)])


def test_s3_uri_is_downloaded_then_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = _FakeS3({("bkt", "users/1/in put.csv"): b"a,b\n1,2\n"})
    monkeypatch.setattr(s3, "make_client", lambda: fake)
    ds = read_dataset("s3://bkt/users/1/in%20put.csv", tmp_path / "o.parquet")
    assert ds.name == "in put.csv" and ds.read_notes["source"] == "s3://bkt/users/1/in%20put.csv"
    assert pl.read_parquet(ds.file()).drop(ROW_ID).rows() == [(1, 2)]
    with pytest.raises(AgensiumError) as info:
        read_dataset("s3://bkt/missing.csv", tmp_path / "o2.parquet")
    assert info.value.code == ErrorCode.FILES_NOT_FOUND


def test_s3_client_follows_the_storage_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:8333")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    client = s3.make_client()
    cfg = client.meta.config
    assert cfg.signature_version == "s3v4"
    assert cfg.s3["addressing_style"] == "path"
    assert cfg.request_checksum_calculation == "when_required"
    assert client.meta.endpoint_url == "http://127.0.0.1:8333"


@pytest.mark.parametrize("name", ["d[1].csv", "d*?.jsonl", "d{a}.parquet", "d[x].xlsx"])
def test_glob_characters_in_file_names_are_literal(tmp_path: Path, name: str) -> None:
    src = tmp_path / name
    if name.endswith(".csv"):
        src.write_text("a,b\n1,2\n")
    elif name.endswith(".jsonl"):
        src.write_text('{"a": 1, "b": 2}\n{"a": 3, "b": 4}\n')
    elif name.endswith(".parquet"):
        pl.DataFrame({"a": [1], "b": [2]}).write_parquet(src)
    else:
        _xlsx(src, {"S": [["a", "b"], [1, 2]]})
    ds = read_dataset(src, tmp_path / "o.parquet")
    assert ds.name == name and pl.read_parquet(ds.file()).drop(ROW_ID).row(0) == (1, 2)


def test_memory_estimate_sees_short_fields_grow(tmp_path: Path) -> None:
    """A file of one-character fields takes several times its size in memory (8-byte numbers, 16-byte
    string views): the in-memory decision follows the estimate, not the file size."""
    from agensium.engine.io.csv_reader import memory_estimate
    from agensium.engine.io.sniff import sniff_dialect

    src = tmp_path / "narrow.csv"
    src.write_text("a,b,c\n" + "1,x,2\n" * 20_000)
    size = src.stat().st_size
    dialect = sniff_dialect(src.read_text()[:4096], default_delimiter=",")
    est = memory_estimate(src, {"a": pl.Int64(), "b": pl.String(), "c": pl.Int64()}, dialect, lossy=False)
    actual = 20_000 * (8 + 16 + 8)
    assert 0.9 * actual <= est <= 1.1 * actual and est > 4 * size
    in_mem = read_dataset(src, tmp_path / "a.parquet", in_memory_max_bytes=2 * actual)
    streamed = read_dataset(src, tmp_path / "b.parquet", in_memory_max_bytes=2 * size)  # > size, < estimate
    assert in_mem.frame is not None and streamed.frame is None and streamed.path.is_file()
    assert in_mem.row_count == streamed.row_count == 20_000
    assert pl.read_parquet(streamed.path).equals(in_mem.frame)


def _preamble_rows(header: list[str], rows: list[list[str]]) -> list[list[str]]:
    return [["Quarterly sales report", "", ""], ["", "", ""], ["Exported 2024-03-01 by ACME, internal", "", ""],
            header, *rows]


def test_title_note_and_blank_rows_above_the_header_are_skipped(tmp_path) -> None:
    import csv as csv_mod

    header, rows = ["name", "amount", "date"], [["Ann", "1", "2024-01-01"], ["Bob", "2", "2024-01-02"]] * 20
    src = tmp_path / "export.csv"
    with src.open("w", newline="") as fh:
        csv_mod.writer(fh).writerows(_preamble_rows(header, rows))
    ds = read_dataset(src, tmp_path / "o.parquet")
    assert ds.columns == header and ds.row_count == len(rows)
    assert ds.read_notes["header_row"] == 4 and ds.read_notes["preamble"][0] == "Quarterly sales report"
    # the user can name the header row; reading from the title row gives generated names
    other = read_dataset(src, tmp_path / "o2.parquet", options=ReadOptions(header_row=1))
    assert other.columns[0] == "Quarterly sales report" and "renamed_columns" in other.read_notes


def test_excel_title_rows_above_the_header_are_skipped(tmp_path) -> None:
    import xlsxwriter

    header, rows = ["name", "amount", "date"], [["Ann", 1, "2024-01-01"], ["Bob", 2, "2024-01-02"]] * 10
    src = tmp_path / "export.xlsx"
    book = xlsxwriter.Workbook(src)
    sheet = book.add_worksheet("Orders")
    for r, row in enumerate(_preamble_rows(header, rows)):
        for c, value in enumerate(row):
            if value != "":
                sheet.write(r, c, value)
    book.close()
    ds = read_dataset(src, tmp_path / "o.parquet")
    assert ds.columns == header and ds.row_count == len(rows)
    assert ds.read_notes["header_row"] == 4
    assert ds.lazy().collect()["amount"].to_list() == [r[1] for r in rows]
