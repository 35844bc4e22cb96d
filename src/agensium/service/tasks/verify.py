"""What `process` checks before anything is charged or queued.

Inputs (task → UPLOAD_FAILED when they fail): every required or needed or declared input exists,
is non-empty, within the tool's size limit, and its first 64 KiB sniff as its declared format.
Parameters (task unchanged when they fail, so the user can upload them again): parameters.json
exists if declared, is small enough, parses, and validates against the selected agents' models.
"""

from __future__ import annotations

import json
from typing import Any

from agensium.engine.registry import ToolSpec, validate_parameters
from agensium.errors import AgensiumError, ErrorCode
from agensium.service.models import Task
from agensium.service.storage import Storage
from agensium.settings import Settings

SNIFF_BYTES = 64 * 1024


def _sniff(head: bytes, ext: str) -> tuple[bool, str | None]:
    """(ok, reason) from the engine's sniffer; a small magic-number check if it is not installed."""
    try:
        from agensium.engine.io.readers import sniff  # type: ignore[attr-defined]
    except ImportError:
        try:
            from agensium.engine.io.sniff import sniff
        except ImportError:
            sniff = None
    if sniff is not None:
        result = sniff(head, ext)
        return bool(result.ok), result.reason
    binary = {b"%PDF": "pdf", b"PK\x03\x04": "zip", b"\xd0\xcf\x11\xe0": "ole2", b"PAR1": "parquet"}
    kind = next((k for m, k in binary.items() if head.startswith(m)), None)
    expected = {"xlsx": "zip", "xls": "ole2", "parquet": "parquet"}.get(ext)
    if expected:
        return (kind == expected, None if kind == expected else f"not a .{ext} file")
    if kind is not None or b"\x00" in head:
        return False, f"binary content ({kind or 'unknown'}) in a .{ext} file"
    return True, None


def needed_roles(tool: ToolSpec, agents: list[str], declared: dict[str, Any]) -> dict[str, list[str]]:
    """role -> why it is needed ('required', agent ids, or 'declared')."""
    why: dict[str, list[str]] = {}
    for f in tool.files:
        if f.required:
            why.setdefault(f.role, []).append("required")
    for agent_id in agents:
        spec = tool.agent(agent_id)
        for role in spec.needs if spec else ():
            if role != "primary":  # primary is required by every tool anyway
                why.setdefault(role, []).append(agent_id)
    for role in declared:
        why.setdefault(role, []).append("declared")
    return why


def default_pipeline_agents(tool: ToolSpec, agents: list[str], declared: dict[str, Any]) -> list[str]:
    """The agents to run. A task on the tool's whole pipeline (the default) leaves out agents whose
    optional input was not given (drift without a baseline); an explicit subset is kept as chosen,
    so asking for drift without a baseline is an error."""
    if agents != tool.agent_ids:
        return agents
    keep = []
    for agent_id in agents:
        spec = tool.agent(agent_id)
        optional_missing = [r for r in (spec.needs if spec else ())
                            if r not in declared and (f := tool.file(r)) is not None and not f.required]
        if not optional_missing:
            keep.append(agent_id)
    return keep or agents


def verify_inputs(storage: Storage, tool: ToolSpec, task: Task) -> dict[str, dict[str, Any]]:
    """Raise FILES_NOT_FOUND / FILE_EMPTY / FILE_TOO_LARGE / UNSUPPORTED_FORMAT, or return heads by role."""
    declared: dict[str, Any] = dict(task.inputs or {})
    why = needed_roles(tool, list(task.agents), declared)
    heads: dict[str, dict[str, Any]] = {}
    missing: list[str] = []
    for role in why:
        decl = declared.get(role)
        head = storage.head(decl["key"]) if decl else None
        if head is None:
            missing.append(role)
        else:
            heads[role] = head
    if missing:
        raise AgensiumError(
            ErrorCode.FILES_NOT_FOUND, f"Required file(s) not uploaded: {', '.join(missing)}",
            {"missing_files": missing, "needed_by": {r: why[r] for r in missing}},
        )
    for role, head in heads.items():
        spec = tool.file(role)
        assert spec is not None
        if head["size"] == 0:
            raise AgensiumError(ErrorCode.FILE_EMPTY, f"The {role} file is empty", {"role": role})
        if head["size"] > spec.max_bytes:
            raise AgensiumError(ErrorCode.FILE_TOO_LARGE,
                                f"The {role} file is {head['size']} bytes; the limit is {spec.max_bytes}",
                                {"role": role, "size_bytes": head["size"], "max_bytes": spec.max_bytes})
        ext = declared[role]["ext"]
        ok, reason = _sniff(storage.read_range(declared[role]["key"], 0, SNIFF_BYTES - 1), ext)
        if not ok:
            raise AgensiumError(ErrorCode.UNSUPPORTED_FORMAT,
                                f"The {role} file is not a valid .{ext} file: {reason or 'unrecognised content'}",
                                {"role": role, "extension": ext, "reason": reason})
    return heads


def load_parameters(storage: Storage, settings: Settings, tool: ToolSpec, task: Task, key: str) -> dict[str, Any]:
    """The validated parameters document (raw JSON), or INVALID_PARAMETERS."""
    if not task.has_parameters:
        validate_parameters(tool, list(task.agents), {})
        return {}
    head = storage.head(key)
    if head is None:
        raise AgensiumError(ErrorCode.INVALID_PARAMETERS, "parameters.json was declared but not uploaded",
                            {"file": "parameters.json"})
    limit = settings.max_parameters_bytes
    if head["size"] > limit:
        raise AgensiumError(ErrorCode.INVALID_PARAMETERS,
                            f"parameters.json is {head['size']} bytes; the limit is {limit}",
                            {"size_bytes": head["size"], "max_bytes": limit})
    raw = storage.read_bytes(key, limit) if head["size"] else b""
    try:
        doc = json.loads(raw.decode("utf-8-sig")) if raw.strip() else {}
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise AgensiumError(ErrorCode.INVALID_PARAMETERS, f"parameters.json is not valid JSON: {exc}",
                            {"file": "parameters.json"}) from exc
    validate_parameters(tool, list(task.agents), doc)
    return doc
