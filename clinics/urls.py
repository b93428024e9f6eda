from django.urls import path

from .views import patients, staffing

app_name = "clinics"

urlpatterns = [
    path("", staffing.clinic_list, name="clinic-list"),
    path("<int:pk>/", staffing.clinic_detail, name="clinic-detail"),
    path("<int:pk>/supervision/nueva/", staffing.supervision_create, name="supervision-create"),
    path("personal/", staffing.staff_list, name="staff-list"),
    path("personal/<int:pk>/", staffing.staff_detail, name="staff-detail"),
    path("promociones/", staffing.cohort_list, name="cohort-list"),
    path("promociones/<int:pk>/", staffing.cohort_detail, name="cohort-detail"),
    path("asignaciones/nueva/", staffing.assignment_create, name="assignment-create"),
    path("asignaciones/<int:pk>/terminar/", staffing.assignment_end, name="assignment-end"),
    path("asignaciones/<int:pk>/mover/", staffing.assignment_move, name="assignment-move"),
    path("pacientes/", patients.patient_list, name="patient-list"),
    path("pacientes/nuevo/", patients.patient_create, name="patient-create"),
    path("pacientes/<int:pk>/", patients.patient_detail, name="patient-detail"),
]
