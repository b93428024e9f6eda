from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.report_list, name="report-list"),
    path("exportaciones/<int:pk>/", views.export_status, name="export-status"),
    path("exportaciones/<int:pk>/descargar/", views.export_download, name="export-download"),
    path("<slug:key>/", views.report_detail, name="report-detail"),
    path("<slug:key>/csv/", views.report_csv, name="report-csv"),
    path("<slug:key>/xlsx/", views.export_create, name="export-create"),
]
