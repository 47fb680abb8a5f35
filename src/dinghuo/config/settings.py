"""Dinghuo settings: one module, driven by environment variables.

Every variable is listed in the README's settings table. Nothing here is a secret: the
SECRET_KEY comes from the environment or is generated once and stored in the data directory.
"""

import os
import secrets
import tempfile
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from dinghuo.core.dburl import parse_database_url

PACKAGE_DIR = Path(__file__).resolve().parent.parent
PROJECT_DIR = PACKAGE_DIR.parent.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool) -> bool:
    raw = env(name)
    if not raw:
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = env(name)
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}")


# pytest (≥ 8.2) announces itself in PYTEST_VERSION before it loads these settings.
DINGHUO_ENV = env("DINGHUO_ENV", "test" if os.environ.get("PYTEST_VERSION") else "development").lower()
if DINGHUO_ENV not in {"development", "production", "test"}:
    raise ImproperlyConfigured(f"DINGHUO_ENV must be development, production or test, not {DINGHUO_ENV!r}")
PRODUCTION = DINGHUO_ENV == "production"

DATA_DIR = Path(env("DINGHUO_DATA_DIR") or PROJECT_DIR / "var").resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    given = env("SECRET_KEY")
    if given:
        if PRODUCTION and len(given) < 32:
            raise ImproperlyConfigured("SECRET_KEY must be at least 32 characters in production")
        return given
    path = DATA_DIR / "secret_key"
    if not path.exists():
        # Written once with owner-only permissions; later starts read it back. Processes that
        # start together (the server and the task worker) may race here: the key is written whole
        # to a private file and linked into place, so the first link wins and nobody reads a
        # half-written key.
        fd, tmp = tempfile.mkstemp(dir=DATA_DIR, prefix=".secret_key.")
        try:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_urlsafe(50))
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("DINGHUO_DEBUG", False)
ALLOWED_HOSTS = [h.strip() for h in env("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",") if h.strip()]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in env("CSRF_TRUSTED_ORIGINS").split(",") if o.strip()]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "dinghuo.core",
    "dinghuo.tenancy",
    "dinghuo.accounts",
    "dinghuo.dealers",
    "dinghuo.catalog",
    "dinghuo.pricing",
    "dinghuo.inventory",
    "dinghuo.finance",
    "dinghuo.orders",
    "dinghuo.notify",
    "dinghuo.analytics",
    "dinghuo.api",
    "dinghuo.backoffice",
    "dinghuo.portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "dinghuo.core.middleware.OverloadMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "dinghuo.core.middleware.TenantMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "dinghuo.core.middleware.DomainErrorMiddleware",
]
if PRODUCTION:
    MIDDLEWARE.insert(1, "dinghuo.core.middleware.ContentSecurityPolicyMiddleware")

ROOT_URLCONF = "dinghuo.config.urls"
WSGI_APPLICATION = "dinghuo.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "dinghuo.core.context_processors.actor",
            ],
        },
    }
]

# --- database ---------------------------------------------------------------------------------
DATABASE_URL = env("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'dinghuo.sqlite3'}"
DB_POOL_MAX = env_int("DINGHUO_DB_POOL_MAX", 8)
DB_POOL_TIMEOUT = env_int("DINGHUO_DB_POOL_TIMEOUT", 5)
DATABASES = {
    "default": parse_database_url(
        DATABASE_URL,
        pool=env_bool("DINGHUO_DB_POOL", DINGHUO_ENV != "test"),
        pool_max=DB_POOL_MAX,
        pool_timeout=DB_POOL_TIMEOUT,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- accounts ---------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if DINGHUO_ENV == "test":
    # Tests create hundreds of users; argon2 at production cost would dominate the run.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "dinghuo.accounts.validators.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = ["dinghuo.accounts.backends.ActiveUserBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
# Failed logins per username and per client address within the window before refusing.
LOGIN_THROTTLE_LIMIT = env_int("DINGHUO_LOGIN_THROTTLE_LIMIT", 5)
LOGIN_THROTTLE_WINDOW = env_int("DINGHUO_LOGIN_THROTTLE_WINDOW", 900)
# Behind a reverse proxy: the header it puts the client's address in (e.g. X-Forwarded-For, X-Real-IP).
CLIENT_IP_HEADER = env("DINGHUO_CLIENT_IP_HEADER")
SESSION_COOKIE_AGE = env_int("DINGHUO_SESSION_AGE", 14 * 24 * 3600)
SESSION_ENGINE = "django.contrib.sessions.backends.db"

# --- i18n -------------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True
CURRENCY = "CNY"

# --- static and media -------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
# Front-end packages installed from npm (package.json + lockfile) by `make install`; only their
# distribution folders are served.
NODE_MODULES = Path(env("DINGHUO_NODE_MODULES") or PROJECT_DIR / "node_modules")
for _prefix, _sub in (
    ("vendor/bootstrap", "bootstrap/dist"),
    ("vendor/bootstrap-icons", "bootstrap-icons/font"),
    ("vendor/echarts", "echarts/dist"),
):
    if (NODE_MODULES / _sub).is_dir():
        STATICFILES_DIRS.append((_prefix, NODE_MODULES / _sub))
MEDIA_URL = "/media/"
MEDIA_ROOT = DATA_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DINGHUO_MAX_BODY_BYTES", 2 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# Largest upload (Excel import, voucher image) accepted before any parsing.
DINGHUO_MAX_UPLOAD_BYTES = env_int("DINGHUO_MAX_UPLOAD_BYTES", 20 * 1024 * 1024)
# Orders an Excel import places at once on PostgreSQL (0: one per core, at most 4).
DINGHUO_IMPORT_WORKERS = env_int("DINGHUO_IMPORT_WORKERS", 0)

# --- mail -------------------------------------------------------------------------------------
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Dinghuo <noreply@dinghuo.local>")

# --- background tasks -------------------------------------------------------------------------
TASKS = {
    "default": {
        # Under tests, tasks run inline when enqueued (after the enqueuing transaction commits).
        "BACKEND": env(
            "DINGHUO_TASKS_BACKEND",
            "django_tasks.backends.immediate.ImmediateBackend"
            if DINGHUO_ENV == "test"
            else "django_tasks_db.DatabaseBackend",
        ),
        "QUEUES": ["default", "imports", "reports", "webhooks"],
    }
}

# --- audit ------------------------------------------------------------------------------------
# Each tenant's audit log is several independent hash chains, so that concurrent writers of one
# tenant do not all queue on one chain head.
AUDIT_STREAMS = env_int("DINGHUO_AUDIT_STREAMS", 8)
# How long a stored Idempotency-Key response is replayed.
IDEMPOTENCY_TTL_HOURS = env_int("DINGHUO_IDEMPOTENCY_TTL_HOURS", 24)

# --- security ---------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("DINGHUO_SSL_REDIRECT", True)
    # A load balancer's health check speaks plain HTTP to the app server.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = env_int("DINGHUO_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    if DEBUG:
        raise ImproperlyConfigured("DINGHUO_DEBUG must be off when DINGHUO_ENV=production")
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; "
    "base-uri 'self'; form-action 'self'"
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("DINGHUO_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
