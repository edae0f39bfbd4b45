"""API-wide pieces of the REST API under /api/v1/: one error body, pagination, rate limits, the
request id, and the OpenAPI schema conventions. Apps import from here; this package imports no app."""
