from django.urls import path

from . import views

app_name = "clinics"

urlpatterns = [
    path("", views.clinic_list, name="clinic-list"),
    path("<int:pk>/", views.clinic_detail, name="clinic-detail"),
    path("<int:pk>/supervision/nueva/", views.supervision_create, name="supervision-create"),
    path("personal/", views.staff_list, name="staff-list"),
    path("personal/<int:pk>/", views.staff_detail, name="staff-detail"),
    path("promociones/", views.cohort_list, name="cohort-list"),
    path("promociones/<int:pk>/", views.cohort_detail, name="cohort-detail"),
    path("asignaciones/nueva/", views.assignment_create, name="assignment-create"),
    path("asignaciones/<int:pk>/terminar/", views.assignment_end, name="assignment-end"),
    path("asignaciones/<int:pk>/mover/", views.assignment_move, name="assignment-move"),
    path("pacientes/", views.patient_list, name="patient-list"),
    path("pacientes/nuevo/", views.patient_create, name="patient-create"),
    path("pacientes/<int:pk>/", views.patient_detail, name="patient-detail"),
]
