"""The regression gate: export a session as a table, compare it with a baseline, Markdown."""
