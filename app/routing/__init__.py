"""Paths between units, the state machine, transitions and review queues."""
