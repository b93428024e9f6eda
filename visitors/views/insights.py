"""visitors.views.insights: pages. Its routes are in urlpatterns, gathered by visitors/urls.py."""

urlpatterns = []
