"""Entity resolution: blocking → comparison → Fellegi-Sunter scoring (EM) → anti-chaining clustering."""

from agensium.engine.master.er.config import ERConfig, FieldSpec
from agensium.engine.master.er.metrics import pairwise_scores
from agensium.engine.master.er.resolve import ERResult, resolve_entities

__all__ = ["ERConfig", "ERResult", "FieldSpec", "pairwise_scores", "resolve_entities"]
