"""Domain event contracts, by version."""
