"""Column names users can rely on: unique, non-empty, never clashing with the hidden ROW_ID column."""

from __future__ import annotations

from agensium.engine.agent import ROW_ID


def unique_names(raw: list[str | None]) -> tuple[list[str], dict[str, str]]:
    """Make header names unique and non-empty, keeping the user's names wherever possible.

    Empty names become `column_<position>` (1-based); a repeated name becomes `name_2`, `name_3`, …;
    a generated name never takes a name the user wrote elsewhere in the header.
    Returns the names and `{"<position>: <original>": new}` for every name that changed (for read_notes).
    """
    wanted = [("" if n is None else str(n)).strip() for n in raw]
    user_names = set(wanted)
    taken: set[str] = set()
    out: list[str] = []
    changes: dict[str, str] = {}
    for pos, name in enumerate(wanted, start=1):
        if name and name != ROW_ID and name not in taken:
            candidate = name
        else:
            base = name or f"column_{pos}"
            candidate, k = base, 1
            while candidate in taken or candidate in user_names:
                k += 1
                candidate = f"{base}_{k}"
        taken.add(candidate)
        out.append(candidate)
        if candidate != name:
            changes[f"{pos}: {name}"] = candidate
    return out, changes
