"""Uploaded files: checked by content, re-encoded where that removes risk, kept in GridFS."""
