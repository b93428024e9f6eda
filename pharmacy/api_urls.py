from rest_framework.routers import SimpleRouter

from . import api

# Mounted at /api/v1/pharmacy/ under the namespace "api:pharmacy" (names: "api:pharmacy:item-list").
router = SimpleRouter(use_regex_path=False)  # ids through the int path converter
router.include_format_suffixes = False
router.register("items", api.ItemViewSet, basename="item")
router.register("lots", api.LotViewSet, basename="lot")
router.register("stock", api.StockViewSet, basename="stock")
router.register("restock-requests", api.RestockRequestViewSet, basename="restock-request")

urlpatterns = router.urls
