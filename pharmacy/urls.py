"""The pharmacy's pages, under /farmacia/. The views are split by who works them (pharmacy/views/)."""

from django.urls import path

from pharmacy.views import catalogue, request_form, requests, stock

app_name = "pharmacy"

urlpatterns = [
    # The restock request: the pasante's form, then the pharmacy's queue, review, dispatch and the receipt.
    path("solicitudes/", requests.request_list, name="request-list"),
    path("solicitudes/pendientes/", requests.request_queue, name="request-queue"),
    path("solicitudes/nueva/", request_form.request_create, name="request-create"),
    path("solicitudes/urgente/nueva/", request_form.request_emergency_create, name="request-emergency-create"),
    path("solicitudes/<int:pk>/", requests.request_detail, name="request-detail"),
    path("solicitudes/<int:pk>/editar/", request_form.request_edit, name="request-edit"),
    path("solicitudes/<int:pk>/revisar/", requests.request_approve, name="request-approve"),
    path("solicitudes/<int:pk>/rechazar/", requests.request_reject, name="request-reject"),
    path("solicitudes/<int:pk>/despachar/", requests.request_dispatch, name="request-dispatch"),
    path("solicitudes/<int:pk>/lista-de-surtido/", requests.request_pick_list, name="request-pick-list"),
    path("solicitudes/<int:pk>/recibir/", requests.request_receive, name="request-receive"),
    path("solicitudes/<int:pk>/cerrar/", requests.request_close, name="request-close"),
    # Stock: every location for the warehouse's roles, their own clinic for a pasante.
    path("existencias/", stock.stock_list, name="stock-list"),
    path("existencias/<int:pk>/", stock.stock_item, name="stock-item"),
    path("existencias/por-caducar/", stock.stock_expiring, name="stock-expiring"),
    path("existencias/bajo-minimo/", stock.stock_below_minimum, name="stock-below-minimum"),
    path("almacen/entradas/nueva/", stock.warehouse_receipt_create, name="warehouse-receipt-create"),
    path("conteos/", stock.count_list, name="count-list"),
    path("conteos/nuevo/", stock.count_create, name="count-create"),
    path("conteos/<int:pk>/", stock.count_detail, name="count-detail"),
    path("ajustes/", stock.pharmacy_settings, name="settings"),
    path("catalogo/importar/", catalogue.catalogue_import, name="catalogue-import"),
]
