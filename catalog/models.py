"""The assortment: a tree of categories, brands, products with their images, and the variants that
are actually sold (each with its SKU, price and unit)."""

from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from catalog.taxes import TaxClass
from catalog.units import Unit


class Category(models.Model):
    """A node of the category tree. `path` lists the ids from the root ("/3/17/42/") so a
    category's whole subtree is one prefix match; the services keep it and `depth` current."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=140, unique=True)
    description = models.TextField(blank=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    path = models.CharField(max_length=255, editable=False, db_index=True)
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    position = models.PositiveIntegerField(default=0, help_text="Order among its siblings.")
    is_active = models.BooleanField(default=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name_plural = "categories"
        ordering = ["path"]
        constraints = [
            models.CheckConstraint(condition=~Q(parent=F("id")), name="category_not_own_parent"),
        ]

    def __str__(self) -> str:
        return self.name


class Brand(models.Model):
    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=140, unique=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    """What customers browse. `attributes` holds facts to filter on (`{"organic": true,
    "origin": "ES"}`); `search_vector` is kept by the services (name > brand > category >
    description) and indexed for full-text search on PostgreSQL."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220, unique=True)
    description = models.TextField(blank=True)
    brand = models.ForeignKey(Brand, null=True, blank=True, on_delete=models.PROTECT, related_name="products")
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="products")
    attributes = models.JSONField(default=dict, blank=True)
    is_active = models.BooleanField(default=True)
    search_vector = SearchVectorField(null=True, editable=False)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["category", "is_active"], name="product_category_idx"),
            models.Index(fields=["brand", "is_active"], name="product_brand_idx"),
            models.Index(fields=["-created_at"], name="product_newest_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class ProductImage(models.Model):
    """An image of a product, served from the CDN / object store at `url`; the first is the
    one lists show."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="images")
    url = models.URLField(max_length=500)
    alt_text = models.CharField(max_length=200, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["product", "position"], name="product_image_order_idx")]

    def __str__(self) -> str:
        return self.alt_text or self.url


class Variant(models.Model):
    """A sellable item of a product: "Bananas, loose" per kg in steps of 0.1, or "Milk 1 l" per
    piece. The price is per `unit`; `step` is the increment a customer can order."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="variants")
    sku = models.CharField(max_length=64, unique=True)
    barcode = models.CharField(max_length=14, null=True, blank=True, unique=True, help_text="GTIN (EAN/UPC).")
    name = models.CharField(max_length=120, help_text="e.g. 1 l, 6-pack, loose.")
    price = models.DecimalField(max_digits=12, decimal_places=2)
    compare_at_price = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True, help_text="The former price, shown struck through."
    )
    currency = models.CharField(max_length=3)
    unit = models.CharField(max_length=8, choices=Unit.choices, default=Unit.PIECE)
    step = models.DecimalField(max_digits=8, decimal_places=3, default=Decimal("1"))
    weight_kg = models.DecimalField(
        max_digits=8,
        decimal_places=3,
        null=True,
        blank=True,
        help_text="Shipping weight of one piece (or of one unit).",
    )
    tax_class = models.CharField(
        max_length=10, choices=TaxClass.choices, default=TaxClass.STANDARD, help_text="which VAT rate applies"
    )
    is_active = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["product", "is_active", "price"], name="variant_product_price_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0), name="variant_price_not_negative"),
            models.CheckConstraint(
                condition=Q(compare_at_price__isnull=True) | Q(compare_at_price__gt=F("price")),
                name="variant_compare_at_above_price",
            ),
            models.CheckConstraint(condition=Q(step__gt=0), name="variant_step_positive"),
            # Pieces are counted in whole numbers.
            models.CheckConstraint(condition=~Q(unit="piece") | Q(step=1), name="variant_piece_step_one"),
            models.CheckConstraint(
                condition=Q(weight_kg__isnull=True) | Q(weight_kg__gt=0), name="variant_weight_positive"
            ),
            models.CheckConstraint(condition=Q(unit__in=["piece", "kg", "l"]), name="variant_unit_known"),
            models.CheckConstraint(condition=Q(tax_class__in=TaxClass.values), name="variant_tax_class_known"),
        ]

    def __str__(self) -> str:
        return f"{self.sku} {self.name}"

    @property
    def sold_by_measure(self) -> bool:
        return self.unit != Unit.PIECE


class TaxRate(models.Model):
    """The VAT rate of a tax class in a country from a day on, until a later row of the same
    country and class takes over (so periods never overlap: the rate in force on a day is the
    row with the latest `valid_from` up to that day). A temporary cut is two rows: the cut, and
    the old rate again from the day it ends."""

    country = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2, e.g. DE")
    tax_class = models.CharField(max_length=10, choices=TaxClass.choices)
    rate = models.DecimalField(max_digits=5, decimal_places=2, help_text="percent, e.g. 19.00")
    valid_from = models.DateField()
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["country", "tax_class", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["country", "tax_class", "valid_from"], name="tax_rate_one_per_day"),
            models.CheckConstraint(condition=Q(rate__gte=0) & Q(rate__lt=100), name="tax_rate_percentage"),
            models.CheckConstraint(condition=~Q(tax_class="zero") | Q(rate=0), name="tax_rate_zero_class_is_zero"),
            models.CheckConstraint(condition=Q(tax_class__in=TaxClass.values), name="tax_rate_class_known"),
        ]

    def __str__(self) -> str:
        return f"{self.country} {self.tax_class} {self.rate}% from {self.valid_from}"


class CatalogImport(models.Model):
    """A catalog file that was applied (catalog/services/imports.py): the same content is never
    applied twice."""

    fingerprint = models.CharField(max_length=64, unique=True, help_text="sha256 of the file's content")
    file_name = models.CharField(max_length=255)
    rows = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0, help_text="categories, brands, products and variants added")
    updated = models.PositiveIntegerField(default=0, help_text="existing ones changed")
    unchanged = models.PositiveIntegerField(default=0, help_text="rows that changed nothing")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.file_name} ({timezone.localtime(self.created_at):%Y-%m-%d %H:%M})"
