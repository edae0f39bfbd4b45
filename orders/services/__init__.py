"""Writes of the orders app: carts, checkout, placing orders, their life cycle, picking and refunds.
Every function is transactional and composes the services of inventory, delivery and payments."""
