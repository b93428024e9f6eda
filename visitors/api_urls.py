from rest_framework.routers import SimpleRouter

# Mounted at /api/v1/visitors/ under the namespace "api:visitors" (names: "api:visitors:application-list").
router = SimpleRouter(use_regex_path=False)  # ids through the int path converter
router.include_format_suffixes = False

urlpatterns = router.urls
