"""Execution: the Celery app, the job that runs a task, submission with a credit hold, the periodic
jobs (expiry, retention, watchdog) and the embedded worker of the default setup."""
