"""The tax classes a variant is sold under. Other apps snapshot a line's class (order lines,
invoices), so they import this module rather than the catalog's models."""

from django.db import models


class TaxClass(models.TextChoices):
    """Which VAT rate of the delivery country applies: food is often at a reduced rate."""

    STANDARD = "standard", "standard"
    REDUCED = "reduced", "reduced"
    ZERO = "zero", "zero"
