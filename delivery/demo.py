"""Demo data of the delivery app: two Berlin zones, hourly windows 08:00-22:00, a week of slots,
couriers. Safe to load again: records are matched by their natural keys."""

from datetime import time
from decimal import Decimal

from core.money import default_currency
from delivery.models import Courier, PostalCodeMatch, SlotTemplate, Zone, ZonePostalCode
from delivery.services.slots import generate_slots

ZONES = [
    # code, name, fee, free over, minimum, postal codes (match, value)
    (
        "berlin-mitte",
        "Berlin Mitte",
        "3.90",
        "50.00",
        "15.00",
        [(PostalCodeMatch.EXACT, code) for code in ("10115", "10116", "10117", "10118", "10119")],
    ),
    # Everything else starting with 101 is a little further from the hub.
    ("berlin-centre", "Berlin centre (wider)", "4.90", "60.00", "20.00", [(PostalCodeMatch.PREFIX, "101")]),
]
COURIERS = [("Anna (cargo bike)", "berlin-mitte"), ("Ben (van)", "berlin-mitte"), ("Cem (van)", "berlin-centre")]
EVENING_PREMIUM = Decimal("1.00")  # 18:00-21:00 is the busiest time
DEMO_WAREHOUSE = "demo-store"  # inventory's demo dark store picks both zones' orders


def load() -> list[str]:
    for code, name, fee, free_over, minimum, postal_codes in ZONES:
        zone, _ = Zone.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "time_zone": "Europe/Berlin",
                "currency": default_currency(),
                "delivery_fee": Decimal(fee),
                "free_delivery_threshold": Decimal(free_over),
                "minimum_order": Decimal(minimum),
                "warehouse_code": DEMO_WAREHOUSE,
            },
        )
        if not zone.warehouse_code:  # loaded before zones had a warehouse
            zone.warehouse_code = DEMO_WAREHOUSE
            zone.save(update_fields=["warehouse_code"])
        for match, value in postal_codes:
            ZonePostalCode.objects.get_or_create(country="DE", match=match, value=value, defaults={"zone": zone})
        for weekday in range(7):
            for hour in range(8, 22):
                SlotTemplate.objects.get_or_create(
                    zone=zone,
                    weekday=weekday,
                    starts_at=time(hour),
                    defaults={
                        "ends_at": time(hour + 1),
                        "capacity": 10,
                        "cutoff_minutes": 60,
                        "fee_premium": EVENING_PREMIUM if 18 <= hour < 21 else Decimal("0.00"),
                    },
                )
    for name, zone_code in COURIERS:
        courier, _ = Courier.objects.get_or_create(name=name)
        courier.zones.add(Zone.objects.get(code=zone_code))
    created = generate_slots(7)
    return [
        f"Delivery: zones Berlin Mitte (DE 10115-10119) and Berlin centre (DE 101*), hourly slots 08-22 "
        f"for 7 days ({created} new), {len(COURIERS)} couriers"
    ]
