"""The building blocks every app uses: domain errors, idempotency, locks, cache helpers, the REST API
conventions, the admin bases, money and quantities, and the schema operations for migrations.

`core` sits below `events` and every domain app: it imports none of them (import-linter checks it)."""
