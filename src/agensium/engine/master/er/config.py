"""Configuration of entity resolution: everything has a zero-config default."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Comparator = Literal["name", "text", "address", "date", "email", "phone", "code", "exact"]


class FieldSpec(BaseModel):
    """One matching field: a column, how to compare it, and an optional weight multiplier."""

    model_config = ConfigDict(extra="forbid")

    column: str
    comparator: Comparator
    weight: float = Field(1.0, ge=0.0, le=10.0, description="Multiplier of this field's match evidence")
    partner: str | None = Field(None, description="Name column to test for first/last name swaps")


class ERConfig(BaseModel):
    """How to resolve entities. Leave `fields` empty to choose them from the data's semantic types."""

    model_config = ConfigDict(extra="forbid")

    mode: Literal["probabilistic", "exact"] = Field(
        "probabilistic", description="probabilistic = fuzzy Fellegi-Sunter matching; exact = equal normalised keys")
    fields: list[FieldSpec] = Field(default_factory=list, description="Matching fields; empty = automatic")
    columns: list[str] = Field(default_factory=list,
                               description="Restrict automatic field choice to these columns (empty = all)")
    weights: dict[str, float] = Field(default_factory=dict, description="Column -> evidence multiplier")
    match_threshold: float = Field(0.9, ge=0.0, le=1.0,
                                   description="Posterior match probability needed to link two records")
    review_threshold: float = Field(0.5, ge=0.0, le=1.0,
                                    description="Pairs between this and match_threshold are sent to review")
    max_block_size: int = Field(200, ge=2, le=5000, description="Blocks larger than this are skipped")
    window: int = Field(3, ge=2, le=50, description="Sorted-neighbourhood window")
    pairs_per_row_budget: float = Field(1.5, gt=0, le=100,
                                        description="A blocking pass yielding more pairs per row is refined")
    min_pass_budget: int = Field(50_000, ge=100, description="Pairs any pass may yield before refinement")
    blocking_keys: list[list[str]] = Field(default_factory=list,
                                           description="Extra exact blocking passes on column lists")
    em_iterations: int = Field(40, ge=1, le=500)
    min_cluster_density: float = Field(0.3, ge=0.0, le=1.0,
                                       description="Clusters with fewer internal links are split (anti-chaining)")
    keep_review_pairs: bool = True
