"""The README's configuration table and `.env.example` name every setting (no silent knobs)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _env_names() -> list[str]:
    from agensium.settings import Settings

    return [f.validation_alias.choices[0] for f in Settings.model_fields.values()]  # type: ignore[union-attr]


def test_every_setting_is_documented():
    readme = (ROOT / "README.md").read_text()
    example = (ROOT / ".env.example").read_text()
    names = _env_names()
    assert len(names) > 30
    assert [n for n in names if f"| `{n}` |" not in readme] == []
    assert [n for n in names if f"{n}=" not in example] == []
