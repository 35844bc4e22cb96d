"""master-my-data: keys, contracts, semantics, entity resolution, survivorship, golden records, stewardship.

Chain and hand-over (`ctx.state`):
- key-identifier → `keys` (primary / composite / entity key candidates); data unchanged.
- contract-enforcer → renames, safe casts and opt-in fixes from the schema file or parameters.
- semantic-mapper → `semantic_mapping` {original: standard} (always) and `semantic_types`; renames are
  optional, and every later agent resolves column parameters by original OR standard name.
- survivorship-resolver → runs entity resolution once (`er/`, shared through `er_cache` / `er`), keeps
  the record-level data path in `er_members`, collapses each entity to its surviving values.
- golden-record-builder → reuses the same clusters, builds golden records with trust and provenance,
  writes golden_records.csv, cluster_membership.csv, match_pairs.csv, golden_provenance.csv.
- stewardship-flagger → flags and a prioritised task list on whatever data reaches it.
"""
