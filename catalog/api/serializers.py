"""Shapes of the catalog API. Money is a string with two decimals next to its `currency`;
quantities (`step`, `weight_kg`) are decimal strings without padding ("0.1", "1")."""

from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer

from catalog.models import Brand, Category, Product, ProductImage, Variant
from catalog.selectors import SORTS, category_ancestors, parse_attribute_filter
from catalog.selectors.listing_orm import LISTING_VARIANT_FIELDS
from core.api.pagination import PageNumberPagination
from core.api.serializers import StrictFieldsMixin, money_field, quantity_field
from core.money import amount_text


class CategoryRefSerializer(serializers.ModelSerializer[Category]):
    class Meta:
        model = Category
        fields = ("id", "name", "slug")


class CategorySerializer(serializers.ModelSerializer[Category]):
    parent = serializers.PrimaryKeyRelatedField[Category](  # type: ignore[assignment]  # moved off the class by DRF
        read_only=True, allow_null=True, help_text="Id of the parent; null for a root."
    )

    class Meta:
        model = Category
        fields = ("id", "name", "slug", "description", "parent", "depth", "position")


class BrandSerializer(serializers.ModelSerializer[Brand]):
    class Meta:
        model = Brand
        fields = ("id", "name", "slug")


class ImageSerializer(serializers.ModelSerializer[ProductImage]):
    class Meta:
        model = ProductImage
        fields = ("url", "alt_text")


class VariantSerializer(serializers.ModelSerializer[Variant]):
    price = money_field(help_text="Per `unit`.")
    compare_at_price = money_field(allow_null=True, help_text="Former price, if on offer.")
    step = quantity_field(max_digits=8, help_text="Order in multiples of this (e.g. 0.1 kg).")
    weight_kg = quantity_field(max_digits=8, allow_null=True)

    class Meta:
        model = Variant
        fields: tuple[str, ...] = LISTING_VARIANT_FIELDS  # the columns the listing's statement reads


def _cheapest(product: Product) -> Variant | None:
    variants: list[Variant] = getattr(product, "active_variants", [])
    return min(variants, key=lambda v: (v.price, v.pk), default=None)


class ProductListSerializer(serializers.ModelSerializer[Product]):
    brand = BrandSerializer(allow_null=True)
    category = CategoryRefSerializer()
    image = serializers.SerializerMethodField()
    price_from = serializers.SerializerMethodField()
    currency = serializers.SerializerMethodField()
    variants = VariantSerializer(many=True, source="active_variants")

    class Meta:
        model = Product
        fields: tuple[str, ...] = (
            "id",
            "slug",
            "name",
            "brand",
            "category",
            "image",
            "attributes",
            "price_from",
            "currency",
            "variants",
        )

    @extend_schema_field(ImageSerializer(allow_null=True))
    def get_image(self, product: Product) -> dict[str, str] | None:
        images = list(product.images.all())  # prefetched
        return ImageSerializer(images[0]).data if images else None

    @extend_schema_field(serializers.CharField(allow_null=True, help_text="Cheapest active variant, two decimals."))
    def get_price_from(self, product: Product) -> str | None:
        cheapest = _cheapest(product)
        return amount_text(cheapest.price) if cheapest else None

    @extend_schema_field(serializers.CharField(allow_null=True, help_text="Currency of `price_from`."))
    def get_currency(self, product: Product) -> str | None:
        cheapest = _cheapest(product)
        return cheapest.currency if cheapest else None


def listing_body(paginator: PageNumberPagination, rows: list[str]) -> bytes:
    """What JSONRenderer writes for `paginator.get_paginated_response(rows).data` when each row
    is already the JSON text it would write for it (catalog.selectors.listing)."""
    envelope = JSONRenderer().render(paginator.get_paginated_response([]).data)
    assert envelope.endswith(b'"results":[]}'), envelope  # `results` last, as DRF's pagination writes it
    return envelope[:-2] + ",".join(rows).encode() + b"]}"


class ProductDetailSerializer(ProductListSerializer):
    images = ImageSerializer(many=True)
    breadcrumbs = serializers.SerializerMethodField(help_text="The category path from the root.")

    class Meta(ProductListSerializer.Meta):
        fields = (*ProductListSerializer.Meta.fields, "description", "images", "breadcrumbs")

    @extend_schema_field(CategoryRefSerializer(many=True))
    def get_breadcrumbs(self, product: Product) -> Any:
        return CategoryRefSerializer(category_ancestors(product.category), many=True).data


class ProductQuerySerializer(serializers.Serializer[Any]):
    """The listing's query parameters."""

    q = serializers.CharField(max_length=200, required=False, allow_blank=True, help_text="Words to search for.")
    category = serializers.CharField(
        max_length=140, required=False, help_text="Category id or slug; includes its sub-categories."
    )
    brand = serializers.CharField(max_length=500, required=False, help_text="Brand slugs, comma-separated.")
    price_min = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0"), required=False)
    price_max = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0"), required=False)
    attr = serializers.ListField(
        child=serializers.CharField(max_length=100),
        max_length=10,
        required=False,
        help_text="Attribute filters `key:value`, repeatable: `attr=origin:ES&attr=organic:true`.",
    )
    sort = serializers.ChoiceField(choices=SORTS, required=False, help_text="Default: relevance with `q`, else name.")

    def validate_brand(self, value: str) -> list[str]:
        slugs = [slug.strip() for slug in value.split(",") if slug.strip()]
        if len(slugs) > 20:
            raise serializers.ValidationError("At most 20 brands.")
        return slugs

    def validate_attr(self, value: list[str]) -> list[tuple[str, Any]]:
        try:
            return [parse_attribute_filter(item) for item in value]
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from None

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        low, high = attrs.get("price_min"), attrs.get("price_max")
        if low is not None and high is not None and low > high:
            raise serializers.ValidationError({"price_max": ["Must not be below price_min."]})
        return attrs


class CategoryQuerySerializer(serializers.Serializer[Any]):
    parent = serializers.CharField(  # type: ignore[assignment]  # DRF moves declared fields off the class
        max_length=20, required=False, help_text="`root` for top-level categories, or a category id for its children."
    )

    def validate_parent(self, value: str) -> int | None:
        if value == "root":
            return None
        if not value.isdigit() or len(value) > 18:
            raise serializers.ValidationError("Use `root` or a category id.")
        return int(value)


class StaffVariantSerializer(VariantSerializer):
    class Meta(VariantSerializer.Meta):
        fields = (*VariantSerializer.Meta.fields, "product", "is_active", "position", "version", "updated_at")


class StaffVariantUpdateSerializer(StrictFieldsMixin, serializers.Serializer[Any]):
    """A staff change to a variant, e.g. a price from the ERP. `version` is required: the change
    applies only to the version the writer read."""

    version = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    name = serializers.CharField(max_length=120, required=False)
    barcode = serializers.CharField(max_length=14, required=False, allow_null=True, allow_blank=True)
    price = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0"), required=False)
    compare_at_price = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=Decimal("0"), required=False, allow_null=True
    )
    step = serializers.DecimalField(max_digits=8, decimal_places=3, min_value=Decimal("0.001"), required=False)
    weight_kg = serializers.DecimalField(
        max_digits=8, decimal_places=3, min_value=Decimal("0.001"), required=False, allow_null=True
    )
    is_active = serializers.BooleanField(required=False)
    position = serializers.IntegerField(min_value=0, max_value=2**31 - 1, required=False)
