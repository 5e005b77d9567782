"""Admin for trainings."""
