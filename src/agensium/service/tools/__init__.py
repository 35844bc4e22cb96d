"""The tool catalog over HTTP."""
