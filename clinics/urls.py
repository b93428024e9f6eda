from django.urls import path

from .views import network, staffing

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
    path("pacientes/", staffing.patient_list, name="patient-list"),
    path("pacientes/nuevo/", staffing.patient_create, name="patient-create"),
    path("pacientes/<int:pk>/", staffing.patient_detail, name="patient-detail"),
    # --- network10: communities, clinics, cohorts and their placement, supervision overdue ---
    path("comunidades/", network.community_list, name="community-list"),
    path("comunidades/nueva/", network.community_create, name="community-create"),
    path("comunidades/<int:pk>/editar/", network.community_edit, name="community-edit"),
    path("nueva/", network.clinic_create, name="clinic-create"),
    path("<int:pk>/editar/", network.clinic_edit, name="clinic-edit"),
    path("<int:pk>/desactivar/", network.clinic_deactivate, name="clinic-deactivate"),
    path("<int:pk>/reactivar/", network.clinic_reactivate, name="clinic-reactivate"),
    path("promociones/nueva/", network.cohort_create, name="cohort-create"),
    path("promociones/<int:pk>/colocar/", network.cohort_placement, name="cohort-placement"),
    path("supervision/", network.supervision_overdue, name="supervision-overdue"),
    path("supervision/ajustes/", network.supervision_settings, name="supervision-settings"),
]
