"""Every write of the delivery app, each in a transaction, by concept:

- `slots`: dated slots from templates, staff edits of capacity and closing (optimistic locking);
- `holds`: taking, extending, releasing and booking places in slots (capacity, expiry);
- `shipments`: the shipment state machine and courier assignment;
- `orders`: what the order events tell delivery (shipments are created from them);
- `notifications`: dispatch messages, sent by a Celery task after commit.
"""
