"""Generators of test data with known truth (shared by the test directories and the benchmarks)."""
