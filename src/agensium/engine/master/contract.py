"""The data contract: its model, loading from the task's schema file (JSON or YAML) or parameters.

Two shapes are accepted and normalised to one model:
- the earlier product's shape: required_columns, optional_columns, column_types, column_mappings,
  value_constraints {col: {allowed_values, default_value, min_value, max_value, cap_strategy, pattern}},
  uniqueness_constraints;
- a per-column shape: columns: {name: {type, required, nullable, allowed_values, min, max, pattern,
  unique, rename_from}}.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from agensium.errors import AgensiumError, ErrorCode

TYPE_ALIASES: dict[str, str] = {
    "string": "string", "text": "string", "str": "string", "varchar": "string",
    "integer": "integer", "int": "integer", "int64": "integer", "bigint": "integer",
    "float": "float", "double": "float", "numeric": "float", "decimal": "float", "number": "float",
    "boolean": "boolean", "bool": "boolean",
    "date": "date", "datetime": "datetime", "timestamp": "datetime",
}
CanonType = Literal["string", "integer", "float", "boolean", "date", "datetime"]


class ValueConstraint(BaseModel):
    model_config = ConfigDict(extra="forbid")

    allowed_values: list[Any] | None = None
    default_value: Any = None
    min_value: Any = None
    max_value: Any = None
    cap_strategy: Literal["flag", "cap", "null"] = "flag"
    pattern: str | None = None
    pattern_name: str | None = None
    nullable: bool = True


class Contract(BaseModel):
    model_config = ConfigDict(extra="forbid")

    required_columns: list[str] = Field(default_factory=list)
    optional_columns: list[str] = Field(default_factory=list)
    column_types: dict[str, CanonType] = Field(default_factory=dict)
    column_mappings: dict[str, str] = Field(default_factory=dict)
    value_constraints: dict[str, ValueConstraint] = Field(default_factory=dict)
    uniqueness_constraints: list[list[str]] = Field(default_factory=list)

    @field_validator("column_types", mode="before")
    @classmethod
    def _types(cls, v: Any) -> Any:
        if not isinstance(v, dict):
            return v
        out = {}
        for col, t in v.items():
            canon = TYPE_ALIASES.get(str(t).lower())
            if canon is None:
                raise ValueError(f"unknown type '{t}' for column '{col}' (use one of {sorted(set(TYPE_ALIASES))})")
            out[col] = canon
        return out

    @field_validator("uniqueness_constraints", mode="before")
    @classmethod
    def _uniq(cls, v: Any) -> Any:
        if isinstance(v, list):
            return [[x] if isinstance(x, str) else x for x in v]
        return v

    @property
    def is_empty(self) -> bool:
        return not any((self.required_columns, self.optional_columns, self.column_types, self.column_mappings,
                        self.value_constraints, self.uniqueness_constraints))

    def known_columns(self) -> set[str]:
        cols = set(self.required_columns) | set(self.optional_columns) | set(self.column_types)
        cols |= set(self.value_constraints) | {c for u in self.uniqueness_constraints for c in u}
        return cols | set(self.column_mappings.values())


def _from_columns_shape(doc: dict[str, Any]) -> dict[str, Any]:
    cols = doc.pop("columns")
    if not isinstance(cols, dict):
        raise ValueError("'columns' must be a mapping of column name to its rules")
    out: dict[str, Any] = {k: v for k, v in doc.items()}
    for name, spec in cols.items():
        spec = dict(spec or {})
        if spec.pop("required", False):
            out.setdefault("required_columns", []).append(name)
        else:
            out.setdefault("optional_columns", []).append(name)
        if "type" in spec:
            out.setdefault("column_types", {})[name] = spec.pop("type")
        if "rename_from" in spec:
            out.setdefault("column_mappings", {})[spec.pop("rename_from")] = name
        if spec.pop("unique", False):
            out.setdefault("uniqueness_constraints", []).append([name])
        vc = {}
        for src, dst in (("allowed_values", "allowed_values"), ("min", "min_value"), ("max", "max_value"),
                         ("min_value", "min_value"), ("max_value", "max_value"), ("pattern", "pattern"),
                         ("pattern_name", "pattern_name"), ("default_value", "default_value"),
                         ("default", "default_value"), ("cap_strategy", "cap_strategy"), ("nullable", "nullable")):
            if src in spec:
                vc[dst] = spec.pop(src)
        if spec:
            raise ValueError(f"column '{name}': unknown rule(s) {sorted(spec)}")
        if vc:
            out.setdefault("value_constraints", {})[name] = vc
    return out


def parse_contract(doc: Any, source: str) -> Contract:
    """Validate a contract document; `source` names it in error messages."""
    code = ErrorCode.INVALID_SCHEMA_FILE if source != "parameters" else ErrorCode.INVALID_PARAMETERS
    if not isinstance(doc, dict):
        raise AgensiumError(code, f"The data contract in {source} must be a mapping (JSON object / YAML map)",
                            {"source": source, "found": type(doc).__name__})
    doc = dict(doc.get("contract", doc)) if isinstance(doc.get("contract"), dict) else dict(doc)
    try:
        if "columns" in doc:
            doc = _from_columns_shape(doc)
        return Contract.model_validate(doc)
    except (ValidationError, ValueError, TypeError, AttributeError) as exc:
        msg = str(exc).splitlines()
        detail = "; ".join(m.strip() for m in msg[:6])
        raise AgensiumError(code, f"The data contract in {source} is invalid: {detail}", {"source": source}) from exc


def load_contract_file(path: Path) -> Contract:
    """Read a JSON or YAML contract file; any syntax or structure problem is INVALID_SCHEMA_FILE."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise AgensiumError(ErrorCode.INVALID_SCHEMA_FILE, f"Cannot read the schema file: {exc}",
                            {"file": path.name}) from exc
    ext = path.suffix.lower()
    try:
        doc = json.loads(text) if ext == ".json" else yaml.safe_load(text)
    except json.JSONDecodeError as exc:
        raise AgensiumError(ErrorCode.INVALID_SCHEMA_FILE,
                            f"The schema file is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}",
                            {"file": path.name, "line": exc.lineno, "column": exc.colno}) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise AgensiumError(ErrorCode.INVALID_SCHEMA_FILE, f"The schema file is not valid YAML{where}: "
                            f"{getattr(exc, 'problem', exc)}", {"file": path.name}) from exc
    if doc is None:
        raise AgensiumError(ErrorCode.INVALID_SCHEMA_FILE, "The schema file is empty", {"file": path.name})
    return parse_contract(doc, f"schema file '{path.name}'")


def merge(file_contract: Contract | None, param_contract: Contract | None) -> Contract:
    """Parameters refine the file: lists are united, mappings updated key by key."""
    if file_contract is None:
        return param_contract or Contract()
    if param_contract is None:
        return file_contract
    a, b = file_contract.model_dump(), param_contract.model_dump(exclude_unset=True)
    for k, v in b.items():
        if isinstance(v, list):
            a[k] = list(dict.fromkeys([*(tuple(x) if isinstance(x, list) else x for x in a[k]),
                                       *(tuple(x) if isinstance(x, list) else x for x in v)]))
            a[k] = [list(x) if isinstance(x, tuple) else x for x in a[k]]
        elif isinstance(v, dict):
            a[k] = {**a[k], **v}
    return Contract.model_validate(a)
