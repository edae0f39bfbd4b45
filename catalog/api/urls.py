from django.urls import path

from catalog.api import views

urlpatterns = [
    path("catalog/categories/", views.CategoryListView.as_view(), name="catalog-categories"),
    path("catalog/products/", views.ProductListView.as_view(), name="catalog-products"),
    path("catalog/products/<int:product_id>/", views.ProductDetailView.as_view(), name="catalog-product"),
    path("staff/catalog/variants/<int:variant_id>/", views.StaffVariantView.as_view(), name="staff-catalog-variant"),
]
