"""The engine: tools, agents, readers and report writers. Knows nothing of HTTP, SQL or Celery."""
