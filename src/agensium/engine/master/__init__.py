"""master-my-data: keys, contracts, semantics, entity resolution, survivorship, golden records, stewardship."""
