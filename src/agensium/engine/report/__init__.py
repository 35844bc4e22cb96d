"""The versioned report model and its writers (JSON, Excel, HTML)."""
