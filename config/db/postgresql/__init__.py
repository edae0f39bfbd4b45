"""PostgreSQL backend that keeps each domain app's tables in the app's own schema."""
