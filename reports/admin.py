"""Admin for reports: none; the statistics are read, not edited, and have their own pages."""
