"""Admin for certificates."""
