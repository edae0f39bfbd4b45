"""The refusals of the catalog domain, each with a stable code (core/errors.py gives the kind,
and with it the HTTP status)."""

from core.errors import Conflict


class CategoryNotEmpty(Conflict):
    code = "category_not_empty"
    default_message = "The category still has sub-categories or products; move or delete those first."


class BrandInUse(Conflict):
    code = "brand_in_use"
    default_message = "Products still carry this brand."
