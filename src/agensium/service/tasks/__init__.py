"""The task domain: create, upload, verify, process, cancel, download, delete."""
