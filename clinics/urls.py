from django.urls import path

from .views import hosts, network, patients, people, staffing

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
    # --- Host families, their stays, payments and receipts (hosts10) ---
    path("familias/", hosts.host_family_list, name="host-family-list"),
    path("familias/nueva/", hosts.host_family_create, name="host-family-create"),
    path("familias/<int:pk>/", hosts.host_family_detail, name="host-family-detail"),
    path("familias/<int:pk>/editar/", hosts.host_family_edit, name="host-family-edit"),
    path("familias/<int:pk>/estancias/nueva/", hosts.host_stay_create, name="host-stay-create"),
    path("familias/<int:pk>/pagos/nuevo/", hosts.host_payment_create, name="host-payment-create"),
    path("familias/pagos/<int:pk>/recibo/", hosts.host_payment_receipt, name="host-payment-receipt"),
    path("familias/pagos/<int:pk>/", hosts.host_payment_detail, name="host-payment-detail"),
    path("familias/pagos/<int:pk>/editar/", hosts.host_payment_edit, name="host-payment-edit"),
    path("familias/estancias/<int:pk>/editar/", hosts.host_stay_edit, name="host-stay-edit"),
    path("familias/estancias/<int:pk>/cancelar/", hosts.host_stay_cancel, name="host-stay-cancel"),
    # --- People and accounts (people10) ---
    path("personal/nuevo/", people.person_create, name="person-create"),
    path("personal/<int:pk>/editar/", people.person_edit, name="person-edit"),
    path("personal/<int:pk>/desactivar/", people.person_deactivate, name="person-deactivate"),
    path("personal/<int:pk>/invitar/", people.person_invite, name="person-invite"),
    path("invitacion/<str:token>/", people.invitation_accept, name="invitation-accept"),
    path("promociones/<int:pk>/importar/", people.cohort_import, name="cohort-import"),
    # --- network10: communities, clinics, cohorts and their placement, supervision overdue ---
    path("comunidades/", network.community_list, name="community-list"),
    path("comunidades/nueva/", network.community_create, name="community-create"),
    path("comunidades/<int:pk>/editar/", network.community_edit, name="community-edit"),
    path("nueva/", network.clinic_create, name="clinic-create"),
    path("<int:pk>/editar/", network.clinic_edit, name="clinic-edit"),
    path("<int:pk>/desactivar/", network.clinic_deactivate, name="clinic-deactivate"),
    path("<int:pk>/reactivar/", network.clinic_reactivate, name="clinic-reactivate"),
    path("promociones/nueva/", network.cohort_create, name="cohort-create"),
    path("promociones/<int:pk>/editar/", network.cohort_edit, name="cohort-edit"),
    path("promociones/<int:pk>/colocar/", network.cohort_placement, name="cohort-placement"),
    path("supervision/", network.supervision_overdue, name="supervision-overdue"),
    path("supervision/ajustes/", network.supervision_settings, name="supervision-settings"),
    # --- Patients: edit and merge (patients10) ---
    path("pacientes/<int:pk>/editar/", patients.patient_edit, name="patient-edit"),
    path("pacientes/<int:pk>/fusionar/", patients.patient_merge_pick, name="patient-merge-pick"),
    path("pacientes/<int:pk>/fusionar/<int:merged_pk>/", patients.patient_merge, name="patient-merge"),
]
