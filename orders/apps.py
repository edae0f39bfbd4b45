from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = "Orders"

    def ready(self) -> None:
        from accounts.signals import customer_signed_in
        from orders import privacy
        from orders.receivers import merge_cart_at_sign_in

        customer_signed_in.connect(merge_cart_at_sign_in, dispatch_uid="orders.merge_cart_at_sign_in")
        privacy.register()  # the orders part of data exports; no erasure while orders are on their way
