"""E-mail addresses and URLs."""

from __future__ import annotations

import polars as pl

from agensium.engine.values.text import stripped

LOCAL = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
DOMAIN = r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
EMAIL_RE = rf"^\s*{LOCAL}@{DOMAIN}\s*$"
"""RFC 5322 dot-atom syntax with a domain of labels and a TLD of letters (what email-validator accepts
for ordinary addresses; quoted local parts and IP-literal domains are not accepted)."""
EMAIL_IN_TEXT = rf"[A-Za-z0-9._%+'-]+@{DOMAIN}"
OBFUSCATED_EMAIL = r"(?i)^\s*[\w.+-]+\s*(?:\(at\)|\[at\]|\{at\}|\sat\s)\s*[\w-]+(?:\s*(?:\.|\(dot\)|\[dot\]|\sdot\s)\s*[\w-]+)+\s*$"
"""'ada at example.com', 'ada[at]example[dot]com': an address written so that it is not one."""
URL_RE = (r"^\s*(?i:https?|ftp)://(?:[^\s:@/]+(?::[^\s@/]*)?@)?(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,63}(?::\d{1,5})?"
          r"(?:[/?#]\S*)?\s*$")


def is_email(expr: pl.Expr) -> pl.Expr:
    """A syntactically valid address; local part at most 64 characters, the whole at most 254."""
    t = expr.cast(pl.String)
    return t.str.contains(EMAIL_RE) & (stripped(t).str.find("@") <= 64) & (stripped(t).str.len_bytes() <= 254)


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
