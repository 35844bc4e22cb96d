"""clean-my-data: eight agents that clean safely and explain every change.

Shared pieces: `common` (column selection, scores, row issues), `audit` (changed-cell counts and
before/after samples), `ledger` (quarantined and removed rows, the quarantine file), `parsing`
(numbers, dates, booleans from text), `standardize` (whitespace, Unicode, e-mail, phone, country,
clustering), `countries` (the ISO 3166 table).
"""
