from __future__ import annotations

import polars as pl

from agensium.engine.agent import ROW_ID
from agensium.engine.master.survivorship import SurvivorshipConfig, resolve

MEMBERS = pl.DataFrame({
    ROW_ID: [0, 1, 2, 3],
    "name": ["Ann Lee", "Ann Lee", "Anne Lee", "Bob Ray"],
    "email": ["ann@x.com", "not-an-email", "ann@x.com", "bob@y.com"],
    "updated": ["28/12/2023", "05/01/2024", "01/06/2022", "01/01/2020"],
    "source": ["crm", "web", "erp", "crm"],
})
CLUSTERS = pl.DataFrame({"row_id": [0, 1, 2, 3], "cluster_id": [0, 0, 0, 3], "cluster_size": [3, 3, 3, 1]})


def _cfg(**kw) -> SurvivorshipConfig:
    base = dict(columns=["name", "email", "updated", "source"], rules={}, default_rule="most_frequent",
                kinds={"email": "email", "updated": "updated_at"})
    base.update(kw)
    return SurvivorshipConfig(**base)


def test_most_recent_parses_dates_not_strings():
    golden, prov = resolve(MEMBERS, CLUSTERS, _cfg(default_rule="most_recent", timestamp_column="updated"))
    g0 = golden.filter(pl.col("__cluster_id__") == 0).row(0, named=True)
    # as strings "28/12/2023" > "05/01/2024"; as dates row 1 (2024-01-05) is the most recent
    assert g0["source"] == "web"
    assert prov.filter((pl.col("cluster_id") == 0) & (pl.col("column") == "source"))["source_row"].item() == 1


def test_source_priority_and_validated_rules_with_provenance():
    cfg = _cfg(rules={"email": "validated", "name": "source_priority"}, source_column="source",
               source_priority={"erp": 1, "crm": 2})
    golden, prov = resolve(MEMBERS, CLUSTERS, cfg)
    g0 = golden.filter(pl.col("__cluster_id__") == 0).row(0, named=True)
    assert g0["name"] == "Anne Lee"  # from erp (rank 1)
    assert g0["email"] == "ann@x.com"
    assert g0["__source_count__"] == 3 and sorted(g0["__source_rows__"]) == [0, 1, 2]
    p = prov.filter((pl.col("cluster_id") == 0) & (pl.col("column") == "name")).row(0, named=True)
    assert p["source_row"] == 2 and p["rule"] == "source_priority" and p["conflict"]
    single = golden.filter(pl.col("__cluster_id__") == 3).row(0, named=True)
    assert single["__trust_score__"] == 1.0 and single["name"] == "Bob Ray"


def test_trust_reflects_agreement():
    golden, prov = resolve(MEMBERS, CLUSTERS, _cfg())
    conf = prov.filter((pl.col("cluster_id") == 0) & (pl.col("column") == "name"))["confidence"].item()
    assert 0.5 < conf < 1.0  # 2 of 3 agree
    g0 = golden.filter(pl.col("__cluster_id__") == 0)
    assert g0["name"].item() == "Ann Lee" and g0["__trust_score__"].item() < 1.0
