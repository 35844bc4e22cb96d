"""`GET /tools` and `GET /tools/{tool_id}`: the catalog, from the engine's registry."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from agensium.engine.registry import TOOLS, catalog_entry, get_tool

router = APIRouter(prefix="/tools", tags=["tools"])


@router.get("")
def list_tools() -> dict[str, Any]:
    """Every tool with its files, agents in pipeline order, costs and parameter schemas."""
    return {"tools": [catalog_entry(t) for t in TOOLS]}


@router.get("/{tool_id}")
def get_tool_entry(tool_id: str) -> dict[str, Any]:
    return catalog_entry(get_tool(tool_id))
