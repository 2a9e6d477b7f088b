"""One suite across many processes and machines: shared session ids, shards of a session's
cells, the session's registered collection (docs/scale-out.md)."""
