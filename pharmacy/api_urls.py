from rest_framework.routers import SimpleRouter

# Mounted at /api/v1/pharmacy/ under the namespace "api:pharmacy" (names: "api:pharmacy:item-list").
router = SimpleRouter()
router.include_format_suffixes = False

urlpatterns = router.urls
