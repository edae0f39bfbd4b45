"""inventory.v1.InventoryService: availability for anyone, the on-hand side for warehouse systems
(staff with the stock item permissions, as the REST staff endpoints). Thin over the inventory
services; writes take an idempotency key (core/grpc/idempotency.py) and validate with the REST
serializers, so both APIs accept and refuse the same input with the same codes."""

from decimal import Decimal
from typing import TYPE_CHECKING, Any

import grpc

from catalog import selectors as catalog
from core import errors
from core.grpc.calls import require_staff_permission, validated
from core.grpc.idempotency import idempotent_call
from inventory import selectors, services
from inventory.api.serializers import AdjustmentSerializer, ReceiptSerializer
from inventory.errors import StockItemNotFound, VariantNotFound
from inventory.services import Adjustment
from proto.common.v1.types_pb2 import Quantity
from proto.inventory.v1 import inventory_pb2, inventory_pb2_grpc

if TYPE_CHECKING:
    from catalog.models import Variant

MAX_BATCH = 100
STOCK_PERMISSION = "inventory.change_stockitem"
SERVICE = inventory_pb2.DESCRIPTOR.services_by_name["InventoryService"].full_name
FIELD_PATHS = {"warehouse": "target.warehouse_code", "variant": "target.variant_id", "sku": "target.sku"}


def quantity(value: Decimal, unit: str) -> Quantity:
    return Quantity(value=f"{value.normalize():f}" if value else "0", unit=unit)


def _availability(variant: "Variant", code: str | None, found: services.Availability) -> inventory_pb2.Availability:
    return inventory_pb2.Availability(
        variant_id=variant.pk,
        sku=variant.sku,
        warehouse_code=code or "",
        available=quantity(found.available, variant.unit),
        in_stock=found.available > 0,
        warehouses=[
            inventory_pb2.WarehouseAvailability(
                warehouse_code=s.warehouse_code, available=quantity(s.available, variant.unit)
            )
            for s in found.warehouses
        ],
    )


def _item_message(stock_item_id: int) -> inventory_pb2.StockItem:
    item = selectors.stock_item_with_refs(stock_item_id)
    unit = item.variant.unit
    return inventory_pb2.StockItem(
        id=item.pk,
        warehouse_code=item.warehouse.code,
        variant_id=item.variant_id,
        sku=item.variant.sku,
        on_hand=quantity(item.on_hand, unit),
        reserved=quantity(item.reserved, unit),
        available=quantity(item.on_hand - item.reserved, unit),
        low_stock_threshold=quantity(item.low_stock_threshold, unit),
        version=item.version,
    )


def _target(target: inventory_pb2.ItemTarget) -> dict[str, Any]:
    data: dict[str, Any] = {"warehouse": target.warehouse_code}
    which = target.WhichOneof("variant")
    if which == "variant_id":
        data["variant"] = target.variant_id
    elif which == "sku":
        data["sku"] = target.sku
    return data


def _variant(data: dict[str, Any]) -> "Variant":
    return selectors.variant_by(variant_id=data.get("variant"), sku=data.get("sku"))


class InventoryServicer(inventory_pb2_grpc.InventoryServiceServicer):
    def GetAvailability(
        self, request: inventory_pb2.GetAvailabilityRequest, context: grpc.ServicerContext
    ) -> inventory_pb2.Availability:
        variant = catalog.variants_on_sale_by_id([request.variant_id]).get(request.variant_id)
        if variant is None:
            raise VariantNotFound(
                f"There is no variant {request.variant_id} on sale.",
                fields={"variant_id": ["No such variant on sale."]},
            )
        code = request.warehouse_code or None
        if code is not None:
            selectors.warehouse_by_code(code)
        return _availability(variant, code, services.availability([variant.pk], code)[variant.pk])

    def BatchGetAvailability(
        self, request: inventory_pb2.BatchGetAvailabilityRequest, context: grpc.ServicerContext
    ) -> inventory_pb2.BatchGetAvailabilityResponse:
        wanted = list(dict.fromkeys(request.variant_ids))
        if len(wanted) > MAX_BATCH:
            raise errors.InvalidInput(fields={"variant_ids": [f"At most {MAX_BATCH} ids."]})
        code = request.warehouse_code or None
        if code is not None:
            selectors.warehouse_by_code(code)
        variants = catalog.variants_on_sale_by_id(wanted)
        found = services.availability(list(variants), code)
        return inventory_pb2.BatchGetAvailabilityResponse(
            availabilities=[_availability(variants[pk], code, found[pk]) for pk in wanted if pk in variants],
            missing_ids=[pk for pk in wanted if pk not in variants],
        )

    def AdjustStock(
        self, request: inventory_pb2.AdjustStockRequest, context: grpc.ServicerContext
    ) -> inventory_pb2.StockItem:
        user = require_staff_permission(STOCK_PERMISSION)
        data = _target(request.target) | {
            "version": request.version,
            "reference": request.reference,
            "note": request.note,
        }
        change = request.WhichOneof("change")
        if change is not None:
            data[change] = getattr(request, change)
        if request.reason:
            data["reason"] = request.reason
        data = validated(AdjustmentSerializer, data, FIELD_PATHS)

        def run() -> inventory_pb2.StockItem:
            variant = _variant(data)
            item = selectors.stock_item_id_of(selectors.warehouse_by_code(data["warehouse"]), variant)
            if item is None:
                raise StockItemNotFound(
                    f"Warehouse {data['warehouse']} holds no stock of {variant.sku}; receive it first."
                )
            services.adjust_stock(
                Adjustment(
                    stock_item_id=item, version=data["version"], on_hand=data.get("on_hand"), delta=data.get("delta")
                ),
                reason=data["reason"],
                note=data["note"],
                reference=data["reference"],
                actor_id=user.pk,
            )
            return _item_message(item)

        return idempotent_call(
            key=request.idempotency_key,
            method=f"/{SERVICE}/AdjustStock",
            request=request,
            user=user,
            response_type=inventory_pb2.StockItem,
            run=run,
        )

    def ReceiveStock(
        self, request: inventory_pb2.ReceiveStockRequest, context: grpc.ServicerContext
    ) -> inventory_pb2.StockItem:
        user = require_staff_permission(STOCK_PERMISSION)
        data = validated(
            ReceiptSerializer,
            _target(request.target)
            | {"quantity": request.quantity, "reference": request.reference, "note": request.note},
            FIELD_PATHS,
        )
        if request.expected_version < 0:
            raise errors.InvalidInput(fields={"expected_version": ["Must not be negative."]})

        def run() -> inventory_pb2.StockItem:
            variant = _variant(data)
            item, _ = services.receive_stock(
                warehouse_code=data["warehouse"],
                variant=variant,
                quantity=data["quantity"],
                reference=data["reference"],
                note=data["note"],
                actor_id=user.pk,
                expected_version=request.expected_version or None,
            )
            return _item_message(item.id)

        return idempotent_call(
            key=request.idempotency_key,
            method=f"/{SERVICE}/ReceiveStock",
            request=request,
            user=user,
            response_type=inventory_pb2.StockItem,
            run=run,
        )


def register(server: grpc.Server) -> list[str]:
    inventory_pb2_grpc.add_InventoryServiceServicer_to_server(InventoryServicer(), server)
    return [SERVICE]
