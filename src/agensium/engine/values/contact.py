"""E-mail addresses and URLs."""

from __future__ import annotations

import polars as pl

from agensium.engine.values.text import stripped

LOCAL = r"[\p{L}\p{N}!#$%&'*+/=?^_`{|}~-]+(?:\.[\p{L}\p{N}!#$%&'*+/=?^_`{|}~-]+)*"
LABEL = r"[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?"
DOMAIN = rf"(?:{LABEL}\.)+{LABEL}"
EMAIL_RE = rf"^\s*{LOCAL}@{DOMAIN}\s*$"
"""RFC 5322 dot-atom syntax (internationalised letters allowed) at a domain of at least two labels, as
email-validator accepts them; quoted local parts and IP-literal domains are not accepted."""

EMAIL_IN_TEXT = rf"[\p{{L}}\p{{N}}._%+'-]+@{DOMAIN}"
OBFUSCATED_EMAIL = r"(?i)^\s*[\w.+-]+\s*(?:\(at\)|\[at\]|\{at\}|\sat\s)\s*[\w-]+(?:\s*(?:\.|\(dot\)|\[dot\]|\sdot\s)\s*[\w-]+)+\s*$"
"""'ada at example.com', 'ada[at]example[dot]com': an address written so that it is not one."""
URL_RE = (r"^\s*(?i:https?|ftp)://(?:[^\s:@/]+(?::[^\s@/]*)?@)?(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,63}(?::\d{1,5})?"
          r"(?:[/?#]\S*)?\s*$")


ASCII_LOCAL = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
ASCII_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
ASCII_TLD = r"(?:[A-Za-z0-9][A-Za-z0-9-]{0,61})?[A-Za-z]"
ASCII_EMAIL_RE = rf"^\s*{ASCII_LOCAL}@(?:{ASCII_LABEL}\.)+{ASCII_TLD}\s*$"
"""The same rules for ASCII text, the last label ending with a letter: a far smaller automaton than the
Unicode classes (ten times faster), and the test done in one pass."""
_RESERVED = r"@(?:.*\.)?[^.@]{2}--"
"""IDNA reserves hyphens in a label's third and fourth places for A-labels (xn--)."""


def _email_check(values: pl.DataFrame, pattern: str, tld_letter: str | None) -> pl.Series:
    v = pl.col("v")
    ok = v.str.contains(pattern) & (v.str.find("@", literal=True) <= 64) & (v.str.len_bytes() <= 254)
    if tld_letter:
        ok = ok & v.str.contains(tld_letter + r"\s*$")
    return values.select(ok.alias("ok")).to_series()


def _emails(values: pl.Series) -> pl.Series:
    """ASCII values checked with the ASCII pattern, the few others with the Unicode one; the reserved
    hyphens looked for only where a value has "--"."""
    frame = values.cast(pl.String).to_frame("v").with_row_index("i")
    v = pl.col("v")
    ascii_ = frame.filter(v.str.len_bytes() == v.str.len_chars())
    other = frame.filter(v.str.len_bytes() != v.str.len_chars())
    out = pl.Series(values.name, [None] * len(values), dtype=pl.Boolean)
    if ascii_.height:
        out = out.scatter(ascii_["i"], _email_check(ascii_, ASCII_EMAIL_RE, None))
    if other.height:
        out = out.scatter(other["i"], _email_check(other, EMAIL_RE, r"\p{L}"))
    hyphens = frame.filter(v.str.contains("--", literal=True))
    if hyphens.height:
        bad = hyphens.filter(v.str.contains(_RESERVED) & ~v.str.contains(r"(?i)@(?:.*\.)?xn--"))
        out = out.scatter(bad["i"], False)
    return out


def is_email(expr: pl.Expr) -> pl.Expr:
    """A syntactically valid address; local part at most 64 characters, the whole at most 254; the domain
    ends with a letter (every top-level domain does, the rule email-validator applies too)."""
    return expr.map_batches(_emails, return_dtype=pl.Boolean, is_elementwise=True)


def is_obfuscated_email(expr: pl.Expr) -> pl.Expr:
    return expr.cast(pl.String).str.contains(OBFUSCATED_EMAIL)


def is_url(expr: pl.Expr) -> pl.Expr:
    return expr.cast(pl.String).str.contains(URL_RE)


def normalise_email(expr: pl.Expr, lower_local: bool = False) -> pl.Expr:
    """Trimmed, domain lower-cased (case-insensitive by RFC); the local part too when asked.
    Values that are not addresses are returned unchanged."""
    t = stripped(expr)
    local = t.str.extract(r"^(.*)@[^@]*$", 1)
    domain = t.str.extract(r"^.*@([^@]*)$", 1).str.to_lowercase()
    if lower_local:
        local = local.str.to_lowercase()
    return pl.when(is_email(t)).then(pl.concat_str([local, pl.lit("@"), domain])).otherwise(expr)
