"""A stock item's warehouse and variant have no foreign-key constraints (decision 0080): triggers
keep what the constraints guaranteed, whoever writes, and a concurrent delete of a variant cannot
orphan a stock item another transaction is creating."""

import threading
import time

import pytest
from django.db import IntegrityError, connection, connections, transaction
from django.db.models import ProtectedError

from catalog.models import Variant
from catalog.services import delete_variant
from inventory.models import StockItem, Warehouse
from tests.inventory.helpers import make_variant, make_warehouse, stocked

INSERT = (
    "INSERT INTO inventory_stockitem (warehouse_id, variant_id, on_hand, reserved, low_stock_threshold, version, "
    "created_at, updated_at) SELECT w, v, 0, 0, 0, 1, now(), now() FROM unnest(%s::bigint[], %s::bigint[]) AS k(w, v)"
)


def insert_items(warehouses: list[int], variants: list[int]) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(INSERT, [warehouses, variants])


@pytest.mark.django_db
def test_a_stock_item_of_a_missing_variant_or_warehouse_is_refused_whoever_inserts_it() -> None:
    milk, berlin = make_variant("MILK"), make_warehouse()
    with pytest.raises(IntegrityError, match="missing warehouse or variant"):
        insert_items([berlin.pk, berlin.pk], [milk.pk, milk.pk + 1000])
    with pytest.raises(IntegrityError, match="missing warehouse or variant"):
        insert_items([berlin.pk + 1000], [milk.pk])
    with pytest.raises(IntegrityError), transaction.atomic():
        StockItem.objects.create(warehouse_id=berlin.pk, variant_id=milk.pk + 1000)
    assert not StockItem.objects.exists()
    insert_items([berlin.pk], [milk.pk])  # one statement of many rows, each key checked once
    assert StockItem.objects.get().variant_id == milk.pk


@pytest.mark.django_db
def test_the_keys_of_many_new_items_are_counted_apart_per_table() -> None:
    """One pass finds the distinct variants and the distinct warehouses (migration 0011): two
    warehouses of one variant, and one warehouse of two variants, are each whole."""
    milk, eggs = make_variant("MILK"), make_variant("EGGS")
    berlin, potsdam = make_warehouse(), make_warehouse("potsdam-1", "Potsdam")
    insert_items([berlin.pk, potsdam.pk, berlin.pk], [milk.pk, milk.pk, eggs.pk])
    assert StockItem.objects.count() == 3
    with pytest.raises(IntegrityError, match="missing warehouse or variant"):
        insert_items([potsdam.pk, potsdam.pk + 1000], [eggs.pk, eggs.pk])
    assert StockItem.objects.count() == 3


@pytest.mark.django_db
def test_a_variant_or_warehouse_with_stock_items_is_never_deleted_and_keeps_its_id() -> None:
    item = stocked(make_variant("MILK"), "5")
    unstocked = make_variant("EGGS")
    for statement, key in [
        ("DELETE FROM catalog_variant WHERE id = %s", item.variant_id),
        ("DELETE FROM inventory_warehouse WHERE id = %s", item.warehouse_id),
        ("UPDATE catalog_variant SET id = id + 1000 WHERE id = %s", item.variant_id),
        ("UPDATE inventory_warehouse SET id = id + 1000 WHERE id = %s", item.warehouse_id),
    ]:
        with pytest.raises(IntegrityError, match="has stock items"), transaction.atomic(), connection.cursor() as c:
            c.execute(statement, [key])
    with pytest.raises(ProtectedError), transaction.atomic():
        delete_variant(item.variant_id)
    delete_variant(unstocked.pk)  # no stock items: deleted as before
    assert not Variant.objects.filter(pk=unstocked.pk).exists()
    Warehouse.objects.create(code="empty", name="Empty").delete()


@pytest.mark.django_db
def test_a_stock_item_keeps_its_warehouse_and_variant() -> None:
    item = stocked(make_variant("MILK"), "5")
    other = make_variant("EGGS")
    with pytest.raises(IntegrityError, match="never change"), transaction.atomic():
        StockItem.objects.filter(pk=item.pk).update(variant_id=other.pk)
    item.refresh_from_db()
    item.save()  # a save that names the keys without changing them goes through
    assert StockItem.objects.get().variant_id == item.variant_id


@pytest.mark.django_db(transaction=True)
def test_a_variant_deleted_while_its_stock_item_is_created_waits_and_is_refused() -> None:
    """The insert locks its variants FOR KEY SHARE (what the key's check did): the delete waits
    for the inserting transaction, then finds the committed item."""
    milk, berlin = make_variant("MILK"), make_warehouse()
    inserted, outcome = threading.Event(), []

    def delete() -> None:
        inserted.wait(10)
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("DELETE FROM catalog_variant WHERE id = %s", [milk.pk])
            outcome.append("deleted")
        except IntegrityError as exc:
            outcome.append(str(exc))
        finally:
            connections.close_all()

    deleter = threading.Thread(target=delete)
    deleter.start()
    with transaction.atomic():
        insert_items([berlin.pk], [milk.pk])
        inserted.set()
        time.sleep(0.5)  # the delete is sent and waits on the lock
        assert not outcome
    deleter.join(10)
    assert outcome and "has stock items" in outcome[0]
    assert StockItem.objects.get().variant_id == milk.pk


@pytest.mark.django_db(transaction=True)
def test_a_stock_item_of_a_variant_being_deleted_waits_and_is_refused() -> None:
    milk, berlin = make_variant("MILK"), make_warehouse()
    deleted, outcome = threading.Event(), []

    def insert() -> None:
        deleted.wait(10)
        try:
            insert_items([berlin.pk], [milk.pk])
            outcome.append("inserted")
        except IntegrityError as exc:
            outcome.append(str(exc))
        finally:
            connections.close_all()

    inserter = threading.Thread(target=insert)
    inserter.start()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM catalog_variant WHERE id = %s", [milk.pk])
        deleted.set()
        time.sleep(0.5)  # the insert is sent and waits on the deleted row's lock
        assert not outcome
    inserter.join(10)
    assert outcome and "missing warehouse or variant" in outcome[0]
    assert not StockItem.objects.exists()
