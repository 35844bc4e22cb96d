"""Accounts: registration with e-mail codes, login (JWT), password reset, roles."""
