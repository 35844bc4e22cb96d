"""Agensium: a self-hostable data-quality service (profile, clean, master)."""

import os

__version__ = "0.1.0"

# Polars allocates through its own jemalloc, which by default keeps freed pages for 10 s: the parse
# buffers of a CSV read (twice the table's size) then stay in the process's memory for the whole run.
# A background thread returning them after 100 ms keeps the peak near the live data, at no measured cost
# in speed. Set before Polars is first imported (agensium is imported first by every entry point); a
# value the operator set wins.
os.environ.setdefault("_RJEM_MALLOC_CONF", "background_thread:true,dirty_decay_ms:100,muzzy_decay_ms:0")
