"""Admin bases every app's admin builds on: read-only pages and admins that write through services."""
