"""Readers (local paths and s3:// URIs) and data writers."""
