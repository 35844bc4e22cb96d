"""clean-my-data: eight agents that clean safely and explain every change.

What the defaults do (nothing else changes unless a parameter asks for it):
- quarantine-agent moves fully empty rows and rows with decoding-error/control characters to
  `quarantine.csv` (original values, `row_number`, `quarantine_reason`, `quarantined_by`);
- type-fixer converts text columns whose non-missing values (>= 80%) parse as numbers, dates or
  booleans (the value layer, `agensium.engine.values`, reads them); dates in any mix of formats become
  dates (written ISO 8601), their day/month order decided per column from the values; a date that reads
  both ways in a column that never says which is not guessed; whole numbers stay integers; a money column
  in several currencies is split into the amount and `<col>__currency`; unparsed values keep their text in
  `<col>__original`; identifier-like digit strings stay text;
- field-standardization trims, collapses runs of spaces (line breaks kept) and applies Unicode NFC;
  near-identical categories are only suggested;
- null-handler turns placeholders (NULL, N/A, NA, -, none, …; per column, so Namibia's "NA" among
  country codes stays) into real missing values, counted per column; it fills nothing;
- duplicate-resolver and outlier-remover report and suggest, changing nothing;
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
`standardize` (whitespace, Unicode, e-mail, phone, country, clustering); what a value is (numbers, dates,
booleans, placeholders, e-mails, phones, countries) is the value layer's, `agensium.engine.values`.
Internal column names start with `__agensium_`.
"""
