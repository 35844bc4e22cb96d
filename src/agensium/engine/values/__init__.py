"""What a value is: the one place that knows, for profile, clean and master alike.

- `missing`: placeholders that mean "no value" (NULL, N/A, -, …), decided per column;
- `booleans`, `numbers` (thousands separators, decimal comma, currencies, accounting negatives,
  percents), `dates` (many formats mixed in one column, day/month order from the evidence);
- `contact` (e-mail, URL), `phones` (libphonenumber, any country), `identifiers` (cards with Luhn,
  IBAN, SSN, IP, UUID, postal codes), `names`, `places` (countries, US states);
- `classify` decides a column's `ValueType` from a sample; `measure` counts exactly over the whole
  column (`ColumnValues`); `consistency` finds one value written several ways; `freetext` finds
  personal data inside free text.
"""

from agensium.engine.values import (
    booleans,
    contact,
    dates,
    freetext,
    hints,
    identifiers,
    names,
    numbers,
    phones,
    places,
    text,
)
from agensium.engine.values.classify import classify, present_values
from agensium.engine.values.consistency import Variants, spelling_variants
from agensium.engine.values.kinds import PII_KINDS, Kind, ValueType
from agensium.engine.values.measure import (
    ColumnValues,
    agg_exprs,
    defect_expr,
    measure,
    missing_expr,
    normalised_expr,
    read_measures,
    row_stages,
    with_rows,
)
from agensium.engine.values.missing import DEFAULT_TOKENS, MissingTokens, is_blank, is_missing
from agensium.engine.values.text import as_text

__all__ = [
    "DEFAULT_TOKENS",
    "PII_KINDS",
    "ColumnValues",
    "Kind",
    "MissingTokens",
    "ValueType",
    "Variants",
    "agg_exprs",
    "as_text",
    "booleans",
    "classify",
    "contact",
    "dates",
    "defect_expr",
    "freetext",
    "hints",
    "identifiers",
    "is_blank",
    "is_missing",
    "measure",
    "missing_expr",
    "names",
    "normalised_expr",
    "numbers",
    "phones",
    "places",
    "present_values",
    "read_measures",
    "row_stages",
    "spelling_variants",
    "text",
    "with_rows",
]
