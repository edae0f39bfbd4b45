"""The REST API of delivery: slots, holds and tracking for customers; dispatch for staff."""
