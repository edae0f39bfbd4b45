"""Admin bases every app's admin builds on: read-only pages and admins that write through services;
and the one page of core's own, the staff audit trail (`audit`, registered when the admin loads)."""

from core.admin import audit

__all__ = ["audit"]
