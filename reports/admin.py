"""Admin for reports."""
