"""Statistics over seeds: claims (paired tests, trends, Holm) and per-variant summaries."""
