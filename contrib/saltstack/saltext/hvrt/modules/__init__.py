"""Execution modules of saltext.hvrt (loaded by Salt from this folder, not imported by name)."""
