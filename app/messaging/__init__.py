"""Outgoing messages (SMS and email) behind one gateway interface."""
