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
    # --- Patients: edit and merge (patients10) ---
    path("pacientes/<int:pk>/editar/", patients.patient_edit, name="patient-edit"),
    path("pacientes/<int:pk>/fusionar/", patients.patient_merge_pick, name="patient-merge-pick"),
    path("pacientes/<int:pk>/fusionar/<int:merged_pk>/", patients.patient_merge, name="patient-merge"),
]
