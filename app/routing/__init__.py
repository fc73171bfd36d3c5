"""Paths between units, the state machine, review queues, committee meetings, publicity and certificates."""
