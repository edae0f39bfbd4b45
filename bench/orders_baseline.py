"""The benchmark's baseline for placing an order: a pgbench-style transaction of an order's shape in
raw SQL through psycopg, on tables of its own (schema `bench`) in the same database as the suite's.

Per order: BEGIN; SELECT the slot row FOR UPDATE; INSERT the order (RETURNING id) and its 5 lines in
one statement; 5 conditional stock UPDATEs in id order (the row count checked); INSERT an outbox row;
optionally the NOTIFY that every outbox write sends; the caller COMMITs. psycopg's defaults apply
(server-side parameters, statements prepared after 5 uses), Django's cursors bind on the client.
"""

from decimal import Decimal
from typing import Any

import psycopg

Basket = list[tuple[int, Decimal, Decimal]]  # (stock row id, quantity, unit price), in id order

BASELINE_TABLES = """
CREATE SCHEMA bench;
CREATE TABLE bench.slot (id int PRIMARY KEY, capacity int NOT NULL, reserved int NOT NULL DEFAULT 0);
CREATE TABLE bench.stock (id int PRIMARY KEY, on_hand numeric(14, 3) NOT NULL, reserved numeric(14, 3) NOT NULL
    DEFAULT 0, version int NOT NULL DEFAULT 1, CHECK (reserved >= 0 AND reserved <= on_hand));
CREATE TABLE bench.orders (id bigserial PRIMARY KEY, customer_id int NOT NULL, slot_id int NOT NULL
    REFERENCES bench.slot, status text NOT NULL, currency char(3) NOT NULL, subtotal numeric(12, 2) NOT NULL,
    total numeric(12, 2) NOT NULL, shipping_address jsonb NOT NULL, placed_at timestamptz NOT NULL);
CREATE INDEX ON bench.orders (customer_id, placed_at);
CREATE TABLE bench.order_line (id bigserial PRIMARY KEY, order_id bigint NOT NULL REFERENCES bench.orders,
    stock_id int NOT NULL REFERENCES bench.stock, quantity numeric(12, 3) NOT NULL,
    unit_price numeric(12, 2) NOT NULL, line_total numeric(12, 2) NOT NULL);
CREATE INDEX ON bench.order_line (order_id);
CREATE TABLE bench.outbox (id bigserial PRIMARY KEY, event_id uuid NOT NULL UNIQUE, event_type text NOT NULL,
    aggregate_id text NOT NULL, payload bytea NOT NULL, occurred_at timestamptz NOT NULL,
    published_at timestamptz);
CREATE INDEX ON bench.outbox (id) WHERE published_at IS NULL;
"""
ADDRESS = (
    '{"recipient_name": "Bench Shopper", "line1": "Invalidenstr. 1", "city": "Berlin", '
    '"postal_code": "10115", "country": "DE"}'
)


def create_baseline_tables(
    database_url: str, slot_count: int, capacity: int, stock_rows: int, on_hand: Decimal
) -> None:
    with psycopg.connect(database_url) as conn:
        conn.execute(BASELINE_TABLES)
        conn.cursor().executemany(
            "INSERT INTO bench.slot (id, capacity) VALUES (%s, %s)", [(n + 1, capacity) for n in range(slot_count)]
        )
        conn.cursor().executemany(
            "INSERT INTO bench.stock (id, on_hand) VALUES (%s, %s)", [(n + 1, on_hand) for n in range(stock_rows)]
        )


def sql_order(
    cursor: psycopg.Cursor[Any], number: int, slot_id: int, basket: Basket, payload: bytes, notify: bool
) -> None:
    """Order `number` in raw SQL (the caller commits)."""
    cursor.execute("SELECT capacity - reserved FROM bench.slot WHERE id = %s FOR UPDATE", [slot_id])
    subtotal = sum(quantity * price for _, quantity, price in basket)
    cursor.execute(
        "INSERT INTO bench.orders (customer_id, slot_id, status, currency, subtotal, total, "
        "shipping_address, placed_at) VALUES (%s, %s, 'pending_payment', 'EUR', %s, %s, %s, now()) "
        "RETURNING id",
        [number, slot_id, subtotal, subtotal, ADDRESS],
    )
    row = cursor.fetchone()
    assert row is not None
    order_id = row[0]
    assert len(basket) == 5
    cursor.execute(
        "INSERT INTO bench.order_line (order_id, stock_id, quantity, unit_price, line_total) VALUES "
        "(%s, %s, %s, %s, %s), (%s, %s, %s, %s, %s), (%s, %s, %s, %s, %s), (%s, %s, %s, %s, %s), "
        "(%s, %s, %s, %s, %s)",
        [
            value
            for stock_id, quantity, price in basket
            for value in (order_id, stock_id, quantity, price, quantity * price)
        ],
    )
    for stock_id, quantity, _ in basket:  # in id order, like reserve_stock: baskets never deadlock
        cursor.execute(
            "UPDATE bench.stock SET reserved = reserved + %s, version = version + 1 "
            "WHERE id = %s AND on_hand - reserved >= %s",
            [quantity, stock_id, quantity],
        )
        assert cursor.rowcount == 1
    cursor.execute(
        "INSERT INTO bench.outbox (event_id, event_type, aggregate_id, payload, occurred_at) "
        "VALUES (gen_random_uuid(), 'order.created', %s, %s, now())",
        [str(order_id), payload],
    )
    if notify:
        cursor.execute("NOTIFY bench_outbox")
