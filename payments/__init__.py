"""Payments, their transactions, gateways and webhooks."""
