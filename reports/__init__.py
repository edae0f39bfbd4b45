"""Sales, customer and inventory analytics for the back office."""
