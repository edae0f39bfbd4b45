from django.urls import path

from delivery.api import staff_views, views

app_name = "delivery"

urlpatterns = [
    path("delivery/slots/", views.SlotListView.as_view(), name="slots"),
    path("delivery/holds/", views.HoldCreateView.as_view(), name="holds"),
    path("delivery/holds/<int:hold_id>/", views.HoldDetailView.as_view(), name="hold"),
    path("delivery/holds/<int:hold_id>/extend/", views.HoldExtendView.as_view(), name="hold-extend"),
    path("delivery/shipments/<str:order_ref>/", views.ShipmentTrackingView.as_view(), name="tracking"),
    path("staff/delivery/slots/", staff_views.StaffSlotListView.as_view(), name="staff-slots"),
    path("staff/delivery/slots/<int:slot_id>/", staff_views.StaffSlotDetailView.as_view(), name="staff-slot"),
    path("staff/delivery/shipments/", staff_views.StaffShipmentListView.as_view(), name="staff-shipments"),
    path(
        "staff/delivery/shipments/<int:shipment_id>/",
        staff_views.StaffShipmentDetailView.as_view(),
        name="staff-shipment",
    ),
    path(
        "staff/delivery/shipments/<int:shipment_id>/transition/",
        staff_views.StaffShipmentTransitionView.as_view(),
        name="staff-shipment-transition",
    ),
    path(
        "staff/delivery/shipments/<int:shipment_id>/assign/",
        staff_views.StaffShipmentAssignView.as_view(),
        name="staff-shipment-assign",
    ),
]
