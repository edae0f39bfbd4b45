"""Catalog rows for tests, written through the services like everything else."""

import itertools
from decimal import Decimal
from typing import Any

from django.db import transaction

from catalog import services
from catalog.models import Brand, Category, Product, Unit, Variant

_numbers = itertools.count(1)


def category(name: str = "Fruit", parent: Category | None = None, **values: Any) -> Category:
    n = next(_numbers)
    with transaction.atomic():
        return services.create_category(
            {"name": name, "slug": f"{name.lower().replace(' ', '-')}-{n}", "parent": parent, **values}
        )


def brand(name: str = "Green Valley") -> Brand:
    n = next(_numbers)
    with transaction.atomic():
        return services.create_brand({"name": f"{name} {n}", "slug": f"brand-{n}"})


def product(
    name: str = "Bananas",
    in_category: Category | None = None,
    *,
    price: str = "1.99",
    variants: list[dict[str, Any]] | None = None,
    **values: Any,
) -> Product:
    """A product with one piece variant at `price` unless `variants` says otherwise."""
    n = next(_numbers)
    with transaction.atomic():
        created = services.create_product(
            {
                "name": name,
                "slug": f"{name.lower().replace(' ', '-')}-{n}",
                "category": in_category or category(),
                **values,
            }
        )
        for position, spec in enumerate(variants if variants is not None else [{"price": price}]):
            variant(created, position=position, **spec)
    return created


def variant(of: Product, *, price: str = "1.99", unit: str = Unit.PIECE, step: str = "1", **values: Any) -> Variant:
    n = next(_numbers)
    with transaction.atomic():
        return services.create_variant(
            of.pk,
            {
                "sku": values.pop("sku", f"SKU-{n}"),
                "name": values.pop("name", "each"),
                "price": Decimal(price),
                "currency": values.pop("currency", "EUR"),
                "unit": unit,
                "step": Decimal(step),
                **values,
            },
        )
