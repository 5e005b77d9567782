"""Background jobs (certificate batches, large exports and imports) with progress for people."""
