"""clean-my-data: eight agents that clean safely and explain every change.

What the defaults do (nothing else changes unless a parameter asks for it):
- quarantine-agent moves fully empty rows and rows with decoding-error/control characters to
  `quarantine.csv` (original values, `row_number`, `quarantine_reason`, `quarantined_by`);
- type-fixer converts text columns whose non-missing values (>= 98%) parse as numbers, dates or
  booleans; whole-number float columns become integers; unparsed values keep their text in
  `<col>__original`; identifier-like digit strings stay text;
- field-standardization trims, collapses runs of spaces (line breaks kept) and applies Unicode NFC;
  near-identical categories are only suggested;
- duplicate-resolver, null-handler and outlier-remover report and suggest, changing nothing;
- cleanse-previewer simulates the selected agents on the first 20,000 rows; cleanse-writeback
  verifies the final data against every upstream manifest.
Row order is always kept and every row that leaves the data is listed (quarantine or duplicates).

Scores (None when there was nothing to do, never a made-up number):
previewer = % of rules that simulate cleanly and are not risky; quarantine = % of rows that passed;
type-fixer = % of values in type-problem columns that now have their type; standardisation = % of
text cells left in standard form; duplicates = 100 once resolved, else % of rows that are unique;
nulls = % of cells holding a value afterwards; outliers = % of numeric cells not left as unhandled
outliers; writeback = % of integrity checks passed.

Shared modules: `common` (columns, parameter checks, row issues), `audit` (changed cells per column
and rule with before/after samples), `ledger` (quarantined and removed rows, the quarantine file),
`parsing` (numbers, dates, booleans from text), `standardize` (whitespace, Unicode, e-mail, phone,
country, clustering), `countries` (ISO 3166 and US-state table). Internal column names start with
`__agensium_`.
"""
