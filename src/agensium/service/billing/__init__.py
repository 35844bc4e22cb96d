"""Credits: wallets, an append-only ledger with idempotency keys, agent costs, and their routes."""
