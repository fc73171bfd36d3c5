"""Dictionaries (regions, unit natures, industries, series → levels → titles → specialties, …) and batches."""
