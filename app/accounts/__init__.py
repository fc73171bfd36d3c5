"""Persons, units (tree), users, roles, sessions, lockout, recovery and unit permission applications."""
