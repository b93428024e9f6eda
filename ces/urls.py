from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.http import HttpResponseRedirect
from django.templatetags.static import static as static_url
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from ces.core.api import TokenObtainView
from ces.core.health import healthz, livez

handler403 = "ces.accounts.views.permission_denied"

# The admin login goes through allauth's login form, so its rate limits apply there too.
admin.autodiscover()
admin.site.login = secure_admin_login(admin.site.login)
# The product's name, not Django's, on every admin page.
admin.site.site_header = admin.site.site_title = "CES Operaciones"
admin.site.index_title = _("Data administration")


@require_safe
def favicon(request):
    """Browsers ask for /favicon.ico whatever the page says: send them to the static icon (hashed in
    production, so a redirect rather than a fixed URL)."""
    return HttpResponseRedirect(static_url("ces/favicon.ico"))


api_v1 = [
    path("auth/token/", TokenObtainView.as_view(), name="auth-token"),
    path("pharmacy/", include(("pharmacy.api_urls", "pharmacy"), namespace="pharmacy")),
    path("visitors/", include(("visitors.api_urls", "visitors"), namespace="visitors")),
    path("", include("clinics.api_urls")),
]

urlpatterns = [
    path("", include("ces.accounts.urls")),
    path("cuentas/", include("allauth.urls")),
    path("clinicas/", include("clinics.urls")),
    path("farmacia/", include("pharmacy.urls")),
    path("visitantes/", include("visitors.urls")),
    path("avisos/", include("ces.notifications.urls")),
    path("reportes/", include("ces.reports.urls")),
    path("admin/", admin.site.urls),
    path("livez", livez, name="livez"),
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", favicon, name="favicon"),
    path("api/v1/", include((api_v1, "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    from ces.core.media import serve_public_media

    # Never MEDIA_ROOT/private/: those files are served only by views that check who asks.
    urlpatterns += static(settings.MEDIA_URL, view=serve_public_media)
