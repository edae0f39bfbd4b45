"""Customers and staff, addresses, sign-in and staff roles."""
