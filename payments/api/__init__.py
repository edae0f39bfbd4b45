"""The REST API of payments: provider webhooks and the finance staff's endpoints."""
