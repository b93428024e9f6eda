from rest_framework.routers import DefaultRouter

from . import api

# No `.json` format suffixes: clients send Accept headers, and the suffix routes only double the surface.
router = DefaultRouter(use_regex_path=False)  # ids through the int path converter
router.include_format_suffixes = False
router.register("communities", api.CommunityViewSet, basename="community")
router.register("clinics", api.ClinicViewSet, basename="clinic")
router.register("staff", api.StaffViewSet, basename="staff")
router.register("assignments", api.AssignmentViewSet, basename="assignment")
router.register("patients", api.PatientViewSet, basename="patient")
router.register("cohorts", api.CohortViewSet, basename="cohort")
router.register("host-families", api.HostFamilyViewSet, basename="host-family")
router.register("host-stays", api.HostStayViewSet, basename="host-stay")
router.register("host-payments", api.HostPaymentViewSet, basename="host-payment")

urlpatterns = router.urls
