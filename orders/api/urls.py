from django.urls import path

from orders.api import staff_views, views

app_name = "orders"

urlpatterns = [
    path("cart/", views.CartView.as_view(), name="cart"),
    path("cart/lines/", views.CartLinesView.as_view(), name="cart-lines"),
    path("cart/lines/<int:line_id>/", views.CartLineView.as_view(), name="cart-line"),
    path("cart/voucher/", views.CartVoucherView.as_view(), name="cart-voucher"),
    path("checkout/", views.CheckoutView.as_view(), name="checkout"),
    path("checkout/place/", views.PlaceOrderView.as_view(), name="checkout-place"),
    path("orders/", views.OrderListView.as_view(), name="orders"),
    path("orders/<int:order_id>/", views.OrderDetailView.as_view(), name="order"),
    path("orders/<int:order_id>/cancel/", views.OrderCancelView.as_view(), name="order-cancel"),
    path("staff/orders/", staff_views.StaffOrderListView.as_view(), name="staff-orders"),
    path("staff/orders/picking-list/", staff_views.PickingListView.as_view(), name="staff-picking-list"),
    path("staff/orders/<int:order_id>/", staff_views.StaffOrderDetailView.as_view(), name="staff-order"),
    path("staff/orders/<int:order_id>/pick/", staff_views.StaffPickView.as_view(), name="staff-order-pick"),
    path("staff/orders/<int:order_id>/pack/", staff_views.StaffPackView.as_view(), name="staff-order-pack"),
    path("staff/orders/<int:order_id>/cancel/", staff_views.StaffCancelView.as_view(), name="staff-order-cancel"),
    path("staff/orders/<int:order_id>/refund/", staff_views.StaffRefundView.as_view(), name="staff-order-refund"),
]
