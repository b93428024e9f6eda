"""visitors.views.program: pages. Its routes are in urlpatterns, gathered by visitors/urls.py."""

urlpatterns = []
