"""Categories, products, variants and their attributes."""
