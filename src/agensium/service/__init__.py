"""The service around the engine: HTTP API, database, storage, queue, accounts and billing."""
