"""The domain events inventory sends (payloads in proto/events/v1/inventory.proto), always inside
the transaction of the stock change they describe.

Kafka key (aggregate id): the reservation for reserved/released, the stock item for
adjusted/low_stock, so each reservation's and each item's events stay in order; the stock import
for adjusted_batch (a stock import announces its changes in batches of many items, in file order).
"""

from events.bridge import DomainSignal

inventory_reserved = DomainSignal("inventory.reserved", aggregate_type="reservation")
inventory_released = DomainSignal("inventory.released", aggregate_type="reservation")
inventory_adjusted = DomainSignal("inventory.adjusted", aggregate_type="stock_item")
inventory_adjusted_batch = DomainSignal("inventory.adjusted_batch", aggregate_type="stock_import")
inventory_low_stock = DomainSignal("inventory.low_stock", aggregate_type="stock_item")
