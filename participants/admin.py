"""Admin for participants."""
