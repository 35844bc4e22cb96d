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
TLD_END = r"\p{L}\s*$"
"""Every top-level domain ends with a letter (the rule email-validator applies too)."""
EMAIL_IN_TEXT = rf"[\p{{L}}\p{{N}}._%+'-]+@{DOMAIN}"
OBFUSCATED_EMAIL = r"(?i)^\s*[\w.+-]+\s*(?:\(at\)|\[at\]|\{at\}|\sat\s)\s*[\w-]+(?:\s*(?:\.|\(dot\)|\[dot\]|\sdot\s)\s*[\w-]+)+\s*$"
"""'ada at example.com', 'ada[at]example[dot]com': an address written so that it is not one."""
URL_RE = (r"^\s*(?i:https?|ftp)://(?:[^\s:@/]+(?::[^\s@/]*)?@)?(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,63}(?::\d{1,5})?"
          r"(?:[/?#]\S*)?\s*$")


def is_email(expr: pl.Expr) -> pl.Expr:
    """A syntactically valid address; local part at most 64 characters, the whole at most 254."""
    t = expr.cast(pl.String)
    # IDNA reserves hyphens in a label's third and fourth places for A-labels (xn--)
    reserved = t.str.contains(r"@(?:.*\.)?[\p{L}\p{N}]{2}--") & ~t.str.contains(r"(?i)@(?:.*\.)?xn--")
    return (t.str.contains(EMAIL_RE) & t.str.contains(TLD_END) & ~reserved & (stripped(t).str.find("@") <= 64)
            & (stripped(t).str.len_bytes() <= 254))


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
