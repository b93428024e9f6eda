"""Settings for CES Operaciones: one file, everything from the environment (12-factor).

Defaults work on a developer machine (PostgreSQL and Redis on 127.0.0.1, trust auth). With
``DEBUG=0`` the production hardening is on and ``manage.py check --deploy`` is clean.
"""

from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")  # optional, for local overrides only

DEBUG = env.bool("DEBUG", default=True)
_DEV_SECRET = "dev-only-insecure-secret-key-change-me-0123456789-abcdefghijklmnop"
SECRET_KEY = env.str("SECRET_KEY", default=_DEV_SECRET if DEBUG else "")
if not SECRET_KEY:
    raise environ.ImproperlyConfigured("SECRET_KEY must be set when DEBUG=0")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://localhost:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "ces.accounts.allauth_app.SignInEmailsConfig",  # allauth.account, its admin section renamed
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "django_htmx",
    "pgtrigger",
    "pghistory",
    "csp",
    "django_countries",
    "ces.accounts",
    "ces.core",
    "ces.notifications",
    "ces.reports",
    "clinics",
    "pharmacy",
    "visitors",
    "curriculum",
    "chw",
    "referrals",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Pages compressed for phones on a poor connection (the request form is ~128 KB of HTML, ~7 KB
    # gzipped). Django's GZip pads each response at random against BREACH, and the CSRF token is
    # masked per response; static files are served precompressed by WhiteNoise above.
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "ces.accounts.middleware.LanguageMiddleware",
    "ces.accounts.middleware.PrivatePagesMiddleware",  # a logged-in person's pages: private, no-store
    "pghistory.middleware.HistoryMiddleware",
    "ces.core.idempotency.IdempotencyMiddleware",
]

# pghistory records who and where for the requests that write. A GET writes no audited row
# (tests/test_authorization.py checks every URL as every persona), and in a context every query of a
# GET carried pghistory's two set_config calls: 0.1-0.2 ms a query, on every page (decision 0016).
PGHISTORY_MIDDLEWARE_METHODS = ("POST", "PUT", "PATCH", "DELETE")

ROOT_URLCONF = "ces.urls"
# A form sent with a token that is no longer valid (a tab left open across a login or logout) gets a page
# in the person's words instead of Django's bare one.
CSRF_FAILURE_VIEW = "ces.accounts.views.csrf_failure"
WSGI_APPLICATION = "ces.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "ces.accounts.context_processors.navigation",
            ],
        },
    },
    # Only for partials written many times over in one page (ces.core.jinja, decision 0018): each app's
    # jinja2/ folder. Every page is a Django template, found first above.
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "NAME": "jinja2",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {"environment": "ces.core.jinja.environment"},
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/ces")}
# psycopg's C loader for timestamptz columns (ces/core/postgresql, decision 0019).
DATABASES["default"]["ENGINE"] = "ces.core.postgresql"
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
CACHES = {
    "default": {
        # Django's, with one Redis client per pool instead of one per operation (ces/core/cache.py).
        "BACKEND": "ces.core.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="ces"),
    }
}

# --- Accounts (django-allauth: e-mail login, no usernames) -----------------------------------------
AUTH_USER_MODEL = "accounts.User"
# Django's and allauth's backends, each reading the user's roles in the user's own query (decision 0019).
AUTHENTICATION_BACKENDS = [
    "ces.accounts.backends.ModelBackend",
    "ces.accounts.backends.AuthenticationBackend",
]
# Every logged-in request reads its session from Redis, not from PostgreSQL (decision 0019); every change is
# written to both, so a Redis restart only costs one read per session, and pages still open from PostgreSQL
# while Redis is away (ces/accounts/sessions.py). Logging out deletes both copies; a password change or a
# deactivation is seen at once, the user being read on every request. Deleting rows of django_session by
# hand no longer ends those sessions: end them through the store (SessionStore(key).delete()).
SESSION_ENGINE = "ces.accounts.sessions"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = env.str("ACCOUNT_EMAIL_VERIFICATION", default="optional")
ACCOUNT_ADAPTER = "ces.accounts.adapter.AccountAdapter"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "CES Operaciones · "  # not the host name ("[localhost:8000] ")
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_PRESERVE_USERNAME_CASING = False
# Login rate limits (allauth's, stored in the Redis cache) are shared by every way in: the web login,
# the admin login (it goes through the same form, ces/urls.py) and the API's token endpoint (which
# calls the same adapter, ces/core/api.py). An account is locked after LOGIN_FAILURES_PER_ACCOUNT
# failures within LOGIN_LOCK_MINUTES, and free again at most LOGIN_LOCK_MINUTES later; that keeps it
# under OWASP ASVS's 100 failed attempts per hour per account (here at most 20). An address gets far
# more, because everyone at the central office shares one public address: one person's mistakes lock
# only their own account, never a colleague's.
LOGIN_FAILURES_PER_ACCOUNT = 5
LOGIN_LOCK_MINUTES = 15
# How long an invitation link to set a password stays valid (people10).
INVITATION_DAYS = env.int("INVITATION_DAYS", default=7)
ACCOUNT_RATE_LIMITS = {
    "login": "60/m/ip",
    # The account's rate first: allauth stops at the first rate refused, so hammering a locked account
    # does not also spend the address's allowance (the whole office's).
    "login_failed": f"{LOGIN_FAILURES_PER_ACCOUNT}/{LOGIN_LOCK_MINUTES}m/key,300/h/ip",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "signup": "20/m/ip",
}
# The client's address: REMOTE_ADDR, unless the deployment says how many proxies of its own stand in
# front (each appends to X-Forwarded-For, so the client's own entries before them count for nothing).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT
LOGIN_REDIRECT_URL = "accounts:home"
LOGIN_URL = "account_login"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"

# --- i18n: Spanish first ------------------------------------------------------------------------------
LANGUAGE_CODE = "es"
LANGUAGES = [("es", _("Spanish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "America/Mexico_City"
USE_I18N = True
USE_TZ = True
FORMAT_MODULE_PATH = ["ces.formats"]
DATE_INPUT_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]

# --- Static files (served by the project itself; no CDN) --------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "ces" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
MEDIA_URL = "/media/"

# --- E-mail ---------------------------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
if EMAIL_CONFIG["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend":
    # Development: one line per e-mail on the console (who, subject, links), not the whole message.
    EMAIL_CONFIG["EMAIL_BACKEND"] = "ces.core.email_backends.OneLineConsoleEmailBackend"
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="CES Operaciones <no-reply@ces.mx>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- API ------------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first: an anonymous request is answered 401 with "WWW-Authenticate: Token", which token
    # clients expect (DRF names the first class's scheme; session auth has none and would make it a 403).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "ces.core.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # DRF's throttles read the client address as allauth does (a None here would trust the client's header).
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # DRF's three, with a JSON parser that answers a too deeply nested body with a 400.
    "DEFAULT_PARSER_CLASSES": ["ces.core.parsers.JSONParser", "rest_framework.parsers.FormParser",
                               "rest_framework.parsers.MultiPartParser"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": [],
    "DATE_INPUT_FORMATS": ["iso-8601", "%d/%m/%Y"],
    "EXCEPTION_HANDLER": "ces.core.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "CES Operaciones API",
    "DESCRIPTION": "Clinics, staff, patients and the operations of the Compañeros En Salud network.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Default-deny: the schema and its docs are for the staff roles (API_DOCS_ROLES) and their systems.
    "SERVE_PERMISSIONS": ["ces.accounts.permissions.ReadsTheApiDocs"],
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI is served by the project (no CDN; the CSP forbids it).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}
IDEMPOTENCY_KEY_TTL_HOURS = env.int("IDEMPOTENCY_KEY_TTL_HOURS", default=72)

# --- Celery -----------------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
# No ETA may outlive the broker's visibility timeout (or the task would run twice).
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
HEARTBEAT_STALE_AFTER_SECONDS = env.int("HEARTBEAT_STALE_AFTER_SECONDS", default=180)

# --- Notifications (ces.notifications) -------------------------------------------------------------------
# A claimed reminder's lease; it must outlive the dispatch task's hard time limit (300 s).
NOTIFICATIONS_LEASE_SECONDS = env.int("NOTIFICATIONS_LEASE_SECONDS", default=600)
NOTIFICATIONS_MAX_ATTEMPTS = env.int("NOTIFICATIONS_MAX_ATTEMPTS", default=5)
NOTIFICATIONS_BACKOFF_SECONDS = env.int("NOTIFICATIONS_BACKOFF_SECONDS", default=60)  # doubles per failure
NOTIFICATIONS_BATCH_SIZE = env.int("NOTIFICATIONS_BATCH_SIZE", default=200)  # rows a dispatcher claims at once
# Per kind, seconds after its due time a reminder expires instead of arriving late (default: the rule's).
NOTIFICATIONS_EXPIRY: dict[str, int] = {}

# --- Reports and exports (ces.reports) ---------------------------------------------------------------
REPORTS_EXPORT_TTL_HOURS = env.int("REPORTS_EXPORT_TTL_HOURS", default=24)  # then the XLSX file is deleted
REPORTS_CHUNK_SIZE = env.int("REPORTS_CHUNK_SIZE", default=2000)  # rows per fetch of the server-side cursor

# --- Security ------------------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # A 403 or 400 is one line ("Forbidden (Permission denied): /admin/"), not a traceback like a crash.
    "filters": {"client_errors_on_one_line": {"()": "ces.core.log_filters.ClientErrorsOnOneLine"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["client_errors_on_one_line"]}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# Demo data (manage.py seed_demo); never used for real accounts.
DEMO_PASSWORD = env.str("DEMO_PASSWORD", default="ces-demo-2026")

# In development WhiteNoise serves straight from the apps' static folders; production runs collectstatic.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
