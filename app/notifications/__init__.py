"""Notifications: each person's in-app inbox (also sent through the message gateway) and announcements."""
