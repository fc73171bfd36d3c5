"""Exports: Excel tables, attachment bundles and archive packages, all within the caller's read scope."""
