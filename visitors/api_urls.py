from rest_framework.routers import SimpleRouter

from . import api

# Mounted at /api/v1/visitors/ under the namespace "api:visitors" (names: "api:visitors:application-list").
router = SimpleRouter(use_regex_path=False)  # ids through the int path converter
router.include_format_suffixes = False
router.register("applications", api.ApplicationViewSet, basename="application")
router.register("documents", api.DocumentViewSet, basename="document")
router.register("interview-slots", api.InterviewSlotViewSet, basename="interview-slot")
router.register("interviews", api.InterviewViewSet, basename="interview")
router.register("placements", api.PlacementViewSet, basename="placement")
router.register("arrivals", api.ArrivalViewSet, basename="arrival")
router.register("exit-surveys", api.ExitSurveyViewSet, basename="exit-survey")
router.register("orientation-packs", api.OrientationPackViewSet, basename="orientation-pack")

urlpatterns = router.urls
