"""Utilities: registries, seeding, label encoding, progress bars."""
