"""Cart, checkout, orders and their life cycle."""
