"""Pairwise precision / recall / F1 of a clustering against true labels, without listing pairs.

Pairs in a group of size s: s(s-1)/2. True positives are pairs sharing both the predicted and the
true label, so every count is a group_by over sizes.
"""

from __future__ import annotations

import polars as pl


def _pairs(df: pl.DataFrame, keys: list[str]) -> int:
    s = df.group_by(keys).agg(pl.len().cast(pl.Int64).alias("s"))["s"]
    return int((s * (s - 1) // 2).sum())


def pairwise_scores(pred: pl.Series, truth: pl.Series) -> dict[str, float]:
    df = pl.DataFrame({"p": pred, "t": truth})
    tp, pp, tt = _pairs(df, ["p", "t"]), _pairs(df, ["p"]), _pairs(df, ["t"])
    precision = tp / pp if pp else 1.0
    recall = tp / tt if tt else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "true_pairs": tt, "predicted_pairs": pp,
            "true_positive_pairs": tp}
