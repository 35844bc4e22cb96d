"""PII found from values wherever they are: phones of several countries in one column, e-mails, phones
and card numbers inside free text; look-alikes that fail their checks stay out."""

from __future__ import annotations

import random

import phonenumbers
import polars as pl
import pytest

from agensium.engine.pipeline import RunRequest, run_tool

REGIONS = ["US", "GB", "DE", "FR", "IN"]


def _phones(rng: random.Random, n: int) -> list[str]:
    """Mobile numbers of five countries as libphonenumber writes them: US ones in the national format
    ((201) 555-0123), the others in the international one (+44 7400 123456)."""
    out = []
    for _ in range(n):
        region = rng.choice(REGIONS)
        num = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
        num.national_number = int(str(num.national_number)[:-3] + f"{rng.randrange(1000):03d}")
        fmt = phonenumbers.PhoneNumberFormat.NATIONAL if region == "US" else phonenumbers.PhoneNumberFormat.INTERNATIONAL
        out.append(phonenumbers.format_number(num, fmt))
    return out


def _luhn_digit(body: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:
            d = d * 2 - 9 if d * 2 > 9 else d * 2
        total += d
    return str((10 - total % 10) % 10)


def _card(rng: random.Random) -> str:
    body = "4" + "".join(rng.choice("0123456789") for _ in range(14))
    return body + _luhn_digit(body)


@pytest.fixture(scope="module")
def fields(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    rng = random.Random(17)
    n = 800
    notes = []
    embedded = {"email": 0, "phone": 0, "card": 0}
    for i in range(n):
        kind = i % 10
        if kind == 0:
            notes.append(f"Customer asked to be contacted at jane.doe{i}@example.org after 5pm")
            embedded["email"] += 1
        elif kind == 1:
            notes.append(f"Call back on {_phones(rng, 1)[0]} regarding the order")
            embedded["phone"] += 1
        elif kind == 2:
            notes.append(f"Paid with card {_card(rng)} last week")
            embedded["card"] += 1
        else:
            notes.append(rng.choice(["Prefers e-mail contact", "Delivery was late", "VIP since 2019",
                                     "No further action needed", "Order 1234 5678 shipped"]))
    df = pl.DataFrame({
        "contact_number": _phones(rng, n),
        "notes": notes,
        "account_ref": ["1" + "".join(rng.choice("0123456789") for _ in range(15)) for _ in range(n)],
        "card": [_card(rng) for _ in range(n)],
    })
    tmp = tmp_path_factory.mktemp("pii")
    df.write_csv(tmp / "people.csv")
    out = run_tool(RunRequest(tool_id="profile-my-data", agents=["unified-profiler", "score-risk"],
                              inputs={"primary": tmp / "people.csv"}, out_dir=tmp / "out", formats=("json",)))
    assert out.status == "completed"
    result = {f["field_name"]: f for f in out.report["agent_results"]["score-risk"]["data"]["fields"]}
    result["_embedded"] = embedded  # type: ignore[assignment]
    return result


def test_phones_of_five_countries_in_one_column(fields) -> None:
    f = fields["contact_number"]
    assert f["pii_type"] == "phone" and f["matching_values"] == 800


def test_pii_inside_free_text_with_the_share_of_rows(fields) -> None:
    f = fields["notes"]
    assert f["found_in"] == "free_text" and set(f["pii_in_text"]) == {"email", "phone", "credit_card"}
    embedded = fields["_embedded"]
    assert f["rows_with_pii"] == embedded["email"] + embedded["phone"] + embedded["card"]
    assert f["pii_type"] == "credit_card"  # the most sensitive kind found decides the column's risk


def test_look_alikes_stay_out(fields) -> None:
    assert fields["account_ref"]["pii_type"] is None  # 16 digits, no card issuer prefix or no Luhn
    assert fields["card"]["pii_type"] == "credit_card"
