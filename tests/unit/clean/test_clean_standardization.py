"""field-standardization: safe defaults, explicit rules, clusters, audit counts checked independently."""

from __future__ import annotations

import unicodedata

import pandas as pd

from agensium.engine.clean.field_standardization import FieldStandardization
from agensium.engine.clean.field_standardization import FieldStandardizationParams as P

CITY = [" London", "london", "LONDON ", "Paris", "paris", "Cafe\u0301", "Café", "New  York", "new york", None]


def test_defaults_only_trim_collapse_and_nfc(h) -> None:
    ctx = h.ctx({"city": CITY, "email": ["A.B@Example.COM"] * 10, "note": ["a\nb  c"] + ["ok"] * 9})
    r = FieldStandardization().run(P(), ctx)
    out = h.out(r, ctx)
    expected = [None if v is None else unicodedata.normalize("NFC", " ".join(v.split())) for v in CITY]
    assert out["city"].to_list() == expected
    assert out["email"].to_list() == ["A.B@Example.COM"] * 10  # no case change without asking
    assert out["note"][0] == "a\nb c"  # line breaks kept, space runs collapsed
    # independent count of changed cells (pandas): values that differ after normalisation
    s = pd.Series(CITY, dtype=object)
    changed = sum(1 for a, b in zip(s, expected, strict=True) if a != b and a is not None)
    assert r.data["audit"]["changed_cells_by_column"]["city"] == changed
    assert r.data["audit"]["changed_cells_by_column"]["note"] == 1


def test_clusters_are_suggested_not_applied_by_default(h) -> None:
    ctx = h.ctx({"city": CITY})
    r = FieldStandardization().run(P(), ctx)
    found = {c["canonical"]: sorted(m["value"] for m in c["members"]) for c in r.data["clusters"]["city"]}
    assert found == {
        "London": ["LONDON", "London", "london"],
        "Paris": ["Paris", "paris"],
        "New York": ["New York", "new york"],
    }
    assert "paris" in h.out(r, ctx)["city"].to_list()
    applied = FieldStandardization().run(P(apply_clusters=True), ctx)
    assert h.out(applied, ctx)["city"].to_list() == ["London"] * 3 + ["Paris"] * 2 + ["Café"] * 2 + [
        "New York"
    ] * 2 + [None]


def test_ngram_fingerprint_groups_spelling_variants(h) -> None:
    ctx = h.ctx({"c": ["Krzysztof", "Krzystof", "Krzysztof", "Anna"]})
    r = FieldStandardization().run(P(cluster_method="ngram_fingerprint", ngram_size=1), ctx)
    assert r.data["clusters"]["c"][0]["canonical"] == "Krzysztof"


def test_case_per_column_email_phone_country_state(h) -> None:
    ctx = h.ctx(
        {
            "name": ["ann lee", "BOB"],
            "email": ["A.B@Example.COM", "not an email"],
            "phone": ["(201) 555-0123", "12"],
            "country": ["United Kingdom", "deu"],
            "state": ["new york", "TX"],
        }
    )
    r = FieldStandardization().run(
        P(
            column_case={"name": "title"},
            email_columns=["email"],
            phone_columns=["phone"],
            country_columns=["country"],
            state_columns=["state"],
        ),
        ctx,
    )
    out = h.out(r, ctx)
    assert out["name"].to_list() == ["Ann Lee", "Bob"]
    assert out["email"].to_list() == ["A.B@example.com", "not an email"]
    assert out["phone"].to_list() == ["+12015550123", "12"]
    assert r.data["invalid_phone_values"] == {"phone": 1}
    assert out["country"].to_list() == ["GB", "DE"]
    assert out["state"].to_list() == ["NY", "TX"]
    lower_local = FieldStandardization().run(P(email_columns=["email"], lowercase_email_local_part=True), ctx)
    assert h.out(lower_local, ctx)["email"][0] == "a.b@example.com"
    names = FieldStandardization().run(P(country_columns=["country"], country_output="name"), ctx)
    assert h.out(names, ctx)["country"].to_list() == ["United Kingdom", "Germany"]


def test_synonyms_units_and_nfkc(h) -> None:
    ctx = h.ctx({"g": ["M", "male", "F"], "d": ["5km", "200 m", "n/a"], "u": ["ﬁne", "①", "x"]})
    r = FieldStandardization().run(
        P(
            synonym_mappings={"g": {"m": "Male", "f": "Female"}},
            unit_mappings={"d": {"km": {"factor": 1000, "target_unit": "m"}}},
            unicode_normalization="NFKC",
        ),
        ctx,
    )
    out = h.out(r, ctx)
    assert out["g"].to_list() == ["Male", "male", "Female"]
    assert out["d"].to_list() == ["5000 m", "200 m", "n/a"]
    assert out["u"].to_list() == ["fine", "1", "x"]


def test_clean_text_is_nothing_to_do(h) -> None:
    ctx = h.ctx({"a": ["x", "y"], "n": [1, 2]})
    r = FieldStandardization().run(P(), ctx)
    assert r.data_out is None and r.score is None
    assert r.cards[0].value == "Nothing to do"


def test_long_cell_and_suggestions(h) -> None:
    big = "word " * 20_000 + " "  # 100 KB cell
    ctx = h.ctx({"text": [big, "x"], "mail": [f"u{i}@x.org" for i in range(2)]})
    r = FieldStandardization().run(P(), ctx)
    out = h.out(r, ctx)
    assert out["text"][0] == big.strip()
    assert r.data["suggested_columns"] == {"email": ["mail"]}
    samples = r.data["tables"][1]
    assert samples["columns"] == ["column", "rule", "row_id", "before", "after"]
    assert samples["rows"][0][:3] == ["text", "trim_whitespace", 0]


def test_audit_counts_every_change_and_samples_at_most_twenty(h) -> None:
    ctx = h.ctx({"v": [f" {i}x" for i in range(30)] + ["ok"] * 5})
    r = FieldStandardization().run(P(), ctx)
    (entry,) = r.data["audit"]["changes"]
    assert entry["changed_cells"] == 30 and len(entry["samples"]) == 20
    assert entry["samples"][0] == {"row_id": 0, "before": " 0x", "after": "0x"}


def test_dates_written_in_a_target_format_only_when_asked(h) -> None:
    import datetime as dt

    import pytest

    from agensium.errors import AgensiumError

    ctx = h.ctx({"d": [dt.date(2024, 1, 31), None], "t": [dt.datetime(2024, 2, 1, 13, 5), None]})
    assert FieldStandardization().run(P(), ctx).data_out is None
    r = FieldStandardization().run(P(target_date_format="%d/%m/%Y", date_columns=["d"]), ctx)
    out = h.out(r, ctx)
    assert out["d"].to_list() == ["31/01/2024", None] and out["t"][0] == dt.datetime(2024, 2, 1, 13, 5)
    assert r.data["manifest"]["type_changes"] == {"d": "string"}
    with pytest.raises(AgensiumError):
        FieldStandardization().run(P(target_date_format="%Q"), ctx)
