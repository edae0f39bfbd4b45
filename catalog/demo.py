"""Demo data of the catalog: a small grocery assortment, some of it sold by weight.

Written through catalog.services like any other change; safe to load again (everything is looked
up by slug or SKU first, so nothing is duplicated and nothing already there is changed)."""

from datetime import date
from decimal import Decimal
from typing import Any

from catalog import services
from catalog.models import Brand, Category, Product, TaxRate, Variant
from catalog.taxes import TaxClass
from catalog.units import Unit
from core.money import default_currency

IMAGES = "https://images.example.com/demo"

# slug: (name, parent slug or None, position)
CATEGORIES: dict[str, tuple[str, str | None, int]] = {
    "fruit-veg": ("Fruit & Veg", None, 1),
    "fruit": ("Fruit", "fruit-veg", 1),
    "vegetables": ("Vegetables", "fruit-veg", 2),
    "dairy": ("Dairy & Eggs", None, 2),
    "milk": ("Milk & Plant Drinks", "dairy", 1),
    "cheese": ("Cheese", "dairy", 2),
    "yoghurt": ("Yoghurt", "dairy", 3),
    "bakery": ("Bakery", None, 3),
    "drinks": ("Drinks", None, 4),
}

BRANDS = {
    "alpenhof": "Alpenhof",
    "oatfield": "Oatfield",
    "green-valley": "Green Valley",
    "bakers-row": "Baker's Row",
    "fresh-springs": "Fresh Springs",
    "sunny-grove": "Sunny Grove",
}


def _v(
    sku: str,
    name: str,
    price: str,
    unit: str = Unit.PIECE,
    step: str = "1",
    compare_at: str | None = None,
    weight: str | None = None,
    barcode: str | None = None,
) -> dict[str, Any]:
    return {
        "sku": sku,
        "name": name,
        "price": Decimal(price),
        "unit": unit,
        "step": Decimal(step),
        "compare_at_price": Decimal(compare_at) if compare_at else None,
        "weight_kg": Decimal(weight) if weight else None,
        "barcode": barcode,
        "currency": default_currency(),
    }


KG = Unit.KILOGRAM
# slug: (name, category, brand, description, attributes, variants)
PRODUCTS: dict[str, tuple[str, str, str | None, str, dict[str, Any], list[dict[str, Any]]]] = {
    "bananas": (
        "Bananas",
        "fruit",
        None,
        "Sweet yellow bananas from Ecuador, sold loose by weight.",
        {"origin": "EC", "organic": False},
        [_v("FRU-BAN-KG", "loose, per kg", "1.99", KG, "0.1")],
    ),
    "organic-bananas": (
        "Organic Bananas",
        "fruit",
        "green-valley",
        "Fairtrade organic bananas.",
        {"origin": "DO", "organic": True},
        [_v("FRU-BAN-ORG-KG", "loose, per kg", "2.49", KG, "0.1")],
    ),
    "pink-lady-apples": (
        "Pink Lady Apples",
        "fruit",
        None,
        "Crisp, sweet and tangy apples.",
        {"origin": "ES", "organic": False},
        [_v("FRU-APL-PL-KG", "loose, per kg", "3.49", KG, "0.1"), _v("FRU-APL-PL-6", "6 pack", "2.99", weight="1.0")],
    ),
    "strawberries": (
        "Strawberries",
        "fruit",
        "sunny-grove",
        "Sweet, juicy strawberries in a 500 g punnet.",
        {"origin": "ES", "organic": False},
        [_v("FRU-STR-500", "500 g", "3.99", compare_at="4.49", weight="0.5", barcode="4006381333931")],
    ),
    "lemons": (
        "Lemons",
        "fruit",
        None,
        "Unwaxed lemons.",
        {"origin": "IT", "organic": False},
        [_v("FRU-LEM-1", "each", "0.49"), _v("FRU-LEM-4", "net of 4", "1.79", weight="0.5")],
    ),
    "avocado": (
        "Hass Avocado",
        "fruit",
        None,
        "Ready to eat.",
        {"origin": "PE", "organic": False},
        [_v("FRU-AVO-1", "each", "1.29")],
    ),
    "vine-tomatoes": (
        "Vine Tomatoes",
        "vegetables",
        None,
        "Ripened on the vine.",
        {"origin": "NL", "organic": False},
        [_v("VEG-TOM-KG", "loose, per kg", "3.99", KG, "0.1")],
    ),
    "cucumber": (
        "Cucumber",
        "vegetables",
        None,
        "Crunchy and fresh.",
        {"origin": "DE", "organic": False},
        [_v("VEG-CUC-1", "each", "0.69")],
    ),
    "carrots": (
        "Carrots",
        "vegetables",
        "green-valley",
        "Organic carrots, 1 kg bag.",
        {"origin": "DE", "organic": True},
        [_v("VEG-CAR-1KG", "1 kg bag", "1.19", weight="1.0")],
    ),
    "potatoes": (
        "Potatoes",
        "vegetables",
        None,
        "Waxy potatoes, great for salads.",
        {"origin": "DE", "organic": False},
        [_v("VEG-POT-2500", "2.5 kg bag", "2.99", weight="2.5"), _v("VEG-POT-KG", "loose, per kg", "1.29", KG, "0.1")],
    ),
    "whole-milk": (
        "Whole Milk 3.5%",
        "milk",
        "alpenhof",
        "Fresh pasteurised whole milk from the Alps.",
        {"fat_percent": 3.5, "lactose_free": False},
        [_v("DAI-MLK-1L", "1 l", "1.19", weight="1.03")],
    ),
    "oat-drink": (
        "Oat Drink",
        "milk",
        "oatfield",
        "Creamy oat drink, vegan.",
        {"vegan": True, "lactose_free": True},
        [_v("DAI-OAT-1L", "1 l", "2.29", compare_at="2.49", weight="1.03")],
    ),
    "young-gouda": (
        "Young Gouda",
        "cheese",
        "alpenhof",
        "Mild Dutch cheese, from the counter or packed.",
        {"origin": "NL", "vegetarian": True},
        [
            _v("CHE-GOU-KG", "from the counter, per kg", "12.90", KG, "0.05"),
            _v("CHE-GOU-400", "400 g pack", "4.49", weight="0.4"),
        ],
    ),
    "mozzarella": (
        "Mozzarella",
        "cheese",
        None,
        "Soft Italian cheese, 125 g.",
        {"origin": "IT", "vegetarian": True},
        [_v("CHE-MOZ-125", "125 g", "0.99", weight="0.125")],
    ),
    "greek-yoghurt": (
        "Greek Yoghurt 10%",
        "yoghurt",
        "alpenhof",
        "Thick and creamy, 500 g.",
        {"vegetarian": True},
        [_v("YOG-GRK-500", "500 g", "2.49", weight="0.5")],
    ),
    "sourdough-loaf": (
        "Sourdough Loaf",
        "bakery",
        "bakers-row",
        "Baked this morning, 750 g.",
        {"vegan": True},
        [_v("BAK-SOU-750", "750 g", "3.49", weight="0.75")],
    ),
    "croissants": (
        "Butter Croissants",
        "bakery",
        "bakers-row",
        "Flaky French-style croissants.",
        {"vegetarian": True},
        [_v("BAK-CRO-1", "each", "0.99"), _v("BAK-CRO-4", "4 pack", "3.49")],
    ),
    "sparkling-water": (
        "Sparkling Mineral Water",
        "drinks",
        "fresh-springs",
        "Natural mineral water with bubbles.",
        {"vegan": True},
        [_v("DRI-SPA-6X15", "6 x 1.5 l", "3.99", weight="9.3"), _v("DRI-SPA-15", "1.5 l", "0.69", weight="1.55")],
    ),
    "orange-juice": (
        "Orange Juice",
        "drinks",
        "sunny-grove",
        "Not from concentrate, 1 l.",
        {"vegan": True},
        [_v("DRI-ORA-1L", "1 l", "2.79", weight="1.05")],
    ),
    "apple-juice": (
        "Apple Juice",
        "drinks",
        "sunny-grove",
        "Cloudy apple juice, 1 l.",
        {"vegan": True},
        [_v("DRI-APP-1L", "1 l", "1.99", weight="1.05")],
    ),
}


# German VAT: food at the reduced rate; drinks other than milk (water, juice, plant drinks) standard.
DEMO_TAX_RATES = (
    ("DE", TaxClass.STANDARD, "19.00", date(2007, 1, 1)),
    ("DE", TaxClass.REDUCED, "7.00", date(2007, 1, 1)),
    ("DE", TaxClass.ZERO, "0.00", date(2007, 1, 1)),
)
STANDARD_RATED = {"drinks"}  # categories
STANDARD_RATED_PRODUCTS = {"oat-drink"}


def _tax_rates() -> str:
    added = 0
    for country, tax_class, rate, valid_from in DEMO_TAX_RATES:
        if not TaxRate.objects.filter(country=country, tax_class=tax_class, valid_from=valid_from).exists():
            services.add_tax_rate(
                {"country": country, "tax_class": tax_class, "rate": Decimal(rate), "valid_from": valid_from}
            )
            added += 1
    return f"VAT rates for DE: standard 19%, reduced 7% (food), zero 0% ({added} new)"


def load() -> list[str]:
    categories: dict[str, Category] = {c.slug: c for c in Category.objects.filter(slug__in=CATEGORIES)}
    for slug, (name, parent, position) in CATEGORIES.items():
        if slug not in categories:
            categories[slug] = services.create_category(
                {"name": name, "slug": slug, "parent": categories[parent] if parent else None, "position": position}
            )
    brands: dict[str, Brand] = {b.slug: b for b in Brand.objects.filter(slug__in=BRANDS)}
    for slug, name in BRANDS.items():
        if slug not in brands:
            brands[slug] = services.create_brand({"name": name, "slug": slug})
    existing = set(Product.objects.filter(slug__in=PRODUCTS).values_list("slug", flat=True))
    skus = set(Variant.objects.values_list("sku", flat=True))
    created = 0
    for slug, (name, category, brand, description, attributes, variants) in PRODUCTS.items():
        if slug in existing:
            continue
        product = services.create_product(
            {
                "name": name,
                "slug": slug,
                "category": categories[category],
                "brand": brands[brand] if brand else None,
                "description": description,
                "attributes": attributes,
            }
        )
        services.add_image(product.pk, {"url": f"{IMAGES}/{slug}.jpg", "alt_text": name})
        standard = category in STANDARD_RATED or slug in STANDARD_RATED_PRODUCTS
        tax_class = TaxClass.STANDARD if standard else TaxClass.REDUCED
        for position, variant in enumerate(variants):
            if variant["sku"] not in skus:
                services.create_variant(product.pk, {**variant, "position": position, "tax_class": tax_class})
        created += 1
    total = Product.objects.filter(slug__in=PRODUCTS).count()
    return [
        f"Demo catalog: {len(CATEGORIES)} categories, {total} products ({created} new), some sold by weight",
        _tax_rates(),
    ]
