"""The units the catalog sells in. Other apps count and price in them (stock levels, cart lines,
weighed picks), so they import this module rather than the catalog's models."""

from django.db import models


class Unit(models.TextChoices):
    """What a price is per, and what a quantity counts."""

    PIECE = "piece", "piece"
    KILOGRAM = "kg", "kilogram"
    LITRE = "l", "litre"
