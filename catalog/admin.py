"""The catalog in the back office: categories, brands, products with their variants and images.

Every write goes through catalog.services (core/admin/services.py), so the admin keeps the
rules, the versions and the cache invalidation of the API."""

from functools import partial
from typing import Any

from django import forms
from django.contrib import admin
from django.db import models
from django.db.models import Count, Model, QuerySet
from django.http import HttpRequest
from django.urls import path

from catalog import admin_files, services
from catalog.models import Brand, Category, Product, ProductImage, TaxRate, Variant
from catalog.services.categories import BRAND_FIELDS, CATEGORY_FIELDS
from catalog.services.products import IMAGE_FIELDS, PRODUCT_FIELDS, VARIANT_FIELDS
from catalog.services.taxes import TAX_RATE_FIELDS
from catalog.taxes import TaxClass
from core.admin.services import ServiceModelAdmin, VersionedModelForm, add_domain_error, save_inline_through
from core.errors import DomainError


class CatalogForm(VersionedModelForm):
    """Runs the services' own checks while the form can still show them next to the field."""

    def check(self, check: Any, value: Any) -> Any:
        try:
            return check(value)
        except DomainError as exc:
            add_domain_error(self, exc)
            return value


class ProductForm(CatalogForm):
    def clean_attributes(self) -> Any:
        return self.check(services.clean_attributes, self.cleaned_data.get("attributes") or {})


class VariantForm(CatalogForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "tax_class" in self.fields:  # left out: the variant keeps its class (new ones: standard)
            self.fields["tax_class"].required = False

    def clean_tax_class(self) -> Any:
        chosen = self.cleaned_data.get("tax_class")
        return chosen or (self.instance.tax_class if self.instance.pk else TaxClass.STANDARD)

    def clean_currency(self) -> Any:
        return self.check(services.clean_currency, self.cleaned_data.get("currency", ""))

    def clean_barcode(self) -> Any:
        barcode = (self.cleaned_data.get("barcode") or "").strip() or None
        if barcode and not services.gtin_is_valid(barcode):
            raise forms.ValidationError("Not a valid GTIN (EAN-8/13, UPC-A, GTIN-14): check the digits.")
        return barcode


class ActivationActions:
    """Bulk activate/deactivate through the model's service (`set_active`)."""

    set_active: Any
    run_bulk: Any

    @admin.action(description="Activate selected %(verbose_name_plural)s", permissions=["change"])
    def activate(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        ids = list(queryset.values_list("pk", flat=True))
        self.run_bulk(request, lambda: type(self).set_active(ids, True), "{count} activated.")

    @admin.action(description="Deactivate selected %(verbose_name_plural)s", permissions=["change"])
    def deactivate(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        ids = list(queryset.values_list("pk", flat=True))
        self.run_bulk(request, lambda: type(self).set_active(ids, False), "{count} deactivated.")


@admin.register(Category)
class CategoryAdmin(ActivationActions, ServiceModelAdmin):
    set_active = staticmethod(services.set_categories_active)
    service_fields = CATEGORY_FIELDS
    list_display = ("name", "slug", "parent", "depth", "position", "is_active", "product_count")
    list_filter = ("is_active", "depth")
    search_fields = ("name", "slug")
    autocomplete_fields = ("parent",)
    prepopulated_fields = {"slug": ("name",)}
    fields = ("name", "slug", "parent", "description", "position", "is_active", "version")
    ordering = ("path",)
    actions = ("activate", "deactivate")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Category]:
        return super().get_queryset(request).select_related("parent").annotate(products_count=Count("products"))

    @admin.display(description="products", ordering="products_count")
    def product_count(self, obj: Any) -> int:
        return int(obj.products_count)

    def create(self, request: HttpRequest, values: dict[str, Any]) -> Model:
        return services.create_category(values)

    def update(self, request: HttpRequest, obj: Any, changes: dict[str, Any], version: int | None) -> Model:
        return services.update_category(obj.pk, changes, expected_version=version)

    def remove(self, request: HttpRequest, obj: Any) -> None:
        services.delete_category(obj.pk)


@admin.register(Brand)
class BrandAdmin(ServiceModelAdmin):
    service_fields = BRAND_FIELDS
    list_display = ("name", "slug")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    fields = ("name", "slug", "version")

    def create(self, request: HttpRequest, values: dict[str, Any]) -> Model:
        return services.create_brand(values)

    def update(self, request: HttpRequest, obj: Any, changes: dict[str, Any], version: int | None) -> Model:
        return services.update_brand(obj.pk, changes, expected_version=version)

    def remove(self, request: HttpRequest, obj: Any) -> None:
        services.delete_brand(obj.pk)


class VariantInline(admin.TabularInline):
    model = Variant
    form = VariantForm
    fields = (
        "sku",
        "name",
        "price",
        "compare_at_price",
        "currency",
        "unit",
        "step",
        "barcode",
        "weight_kg",
        "tax_class",
        "position",
        "is_active",
        "version",
    )
    extra = 0
    show_change_link = True


class ImageInline(admin.TabularInline):
    model = ProductImage
    form = CatalogForm
    fields = ("url", "alt_text", "position")
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}  # images are served over HTTPS
    extra = 0


@admin.register(Product)
class ProductAdmin(ActivationActions, ServiceModelAdmin):
    set_active = staticmethod(services.set_products_active)
    form = ProductForm
    service_fields = PRODUCT_FIELDS
    list_display = ("name", "category", "brand", "is_active", "variant_count", "updated_at")
    list_filter = ("is_active", "category", "brand", "variants__unit")
    list_select_related = ("category", "brand")
    search_fields = ("name", "slug", "brand__name", "variants__sku", "variants__barcode")
    autocomplete_fields = ("category", "brand")
    prepopulated_fields = {"slug": ("name",)}
    fields = ("name", "slug", "category", "brand", "description", "attributes", "is_active", "version")
    readonly_fields = ("updated_at",)
    inlines = (VariantInline, ImageInline)
    actions = ("activate", "deactivate")
    change_list_template = "admin/catalog/product/change_list.html"  # adds import and export

    def get_urls(self) -> list[Any]:
        extra = [
            path("import/", self.admin_site.admin_view(partial(admin_files.import_view, self)), name="catalog_import"),
            path(
                "export/<slug:fmt>/",
                self.admin_site.admin_view(partial(admin_files.export_view, self)),
                name="catalog_export",
            ),
        ]
        return extra + super().get_urls()

    def get_queryset(self, request: HttpRequest) -> QuerySet[Product]:
        return super().get_queryset(request).annotate(variants_count=Count("variants", distinct=True))

    @admin.display(description="variants", ordering="variants_count")
    def variant_count(self, obj: Any) -> int:
        return int(obj.variants_count)

    def create(self, request: HttpRequest, values: dict[str, Any]) -> Model:
        return services.create_product(values)

    def update(self, request: HttpRequest, obj: Any, changes: dict[str, Any], version: int | None) -> Model:
        return services.update_product(obj.pk, changes, expected_version=version)

    def remove(self, request: HttpRequest, obj: Any) -> None:
        services.delete_product(obj.pk)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is Variant:
            save_inline_through(
                formset,
                fields=VARIANT_FIELDS,
                create=services.create_variant,
                update=lambda pk, changes, version: services.update_variant(pk, changes, expected_version=version),
                remove=services.delete_variant,
            )
        elif formset.model is ProductImage:
            save_inline_through(
                formset,
                fields=IMAGE_FIELDS,
                create=services.add_image,
                update=lambda pk, changes, version: services.update_image(pk, changes),
                remove=services.delete_image,
            )


@admin.register(Variant)
class VariantAdmin(ActivationActions, ServiceModelAdmin):
    """Variants on their own: for searching by SKU or barcode, and for other apps' autocompletes."""

    set_active = staticmethod(services.set_variants_active)
    form = VariantForm
    service_fields = VARIANT_FIELDS
    list_display = (
        "sku",
        "product",
        "name",
        "price",
        "compare_at_price",
        "currency",
        "unit",
        "step",
        "tax_class",
        "is_active",
    )
    list_filter = ("is_active", "unit", "currency", "tax_class")
    list_select_related = ("product",)
    search_fields = ("sku", "barcode", "name", "product__name")
    autocomplete_fields = ("product",)
    fields = (
        "product",
        "sku",
        "name",
        "price",
        "compare_at_price",
        "currency",
        "unit",
        "step",
        "barcode",
        "weight_kg",
        "tax_class",
        "position",
        "is_active",
        "version",
    )
    actions = ("activate", "deactivate")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("product",) if obj is not None else ()

    def creation_values(self, form: Any) -> dict[str, Any]:
        return {**super().creation_values(form), "product": form.cleaned_data["product"]}

    def create(self, request: HttpRequest, values: dict[str, Any]) -> Model:
        product = values.pop("product")
        return services.create_variant(product.pk, values)

    def update(self, request: HttpRequest, obj: Any, changes: dict[str, Any], version: int | None) -> Model:
        return services.update_variant(obj.pk, changes, expected_version=version)

    def remove(self, request: HttpRequest, obj: Any) -> None:
        services.delete_variant(obj.pk)


@admin.register(TaxRate)
class TaxRateAdmin(ServiceModelAdmin):
    """VAT rates per country and tax class, each from a day on (a change of rate is a new row)."""

    service_fields = TAX_RATE_FIELDS
    list_display = ("country", "tax_class", "rate", "valid_from", "note")
    list_filter = ("country", "tax_class")
    fields = TAX_RATE_FIELDS

    def create(self, request: HttpRequest, values: dict[str, Any]) -> Model:
        return services.add_tax_rate(values)

    def update(self, request: HttpRequest, obj: Any, changes: dict[str, Any], version: int | None) -> Model:
        return services.update_tax_rate(obj.pk, changes)

    def remove(self, request: HttpRequest, obj: Any) -> None:
        services.delete_tax_rate(obj.pk)
