"""Settings for production: secrets from the environment (no default), HTTPS behind a reverse proxy,
static files by whitenoise, logs on stdout, a cache shared by every app server.

Every setting read here is listed, with its default, in .env.example and the README's deployment
section. Run `manage.py check --deploy --settings=config.settings.production` after a change.
"""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import DATABASES

TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off", ""}


def required(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ImproperlyConfigured(
            f"{name} must be set in the environment for production "
            f"(DJANGO_SETTINGS_MODULE=config.settings.production); see .env.example."
        )
    return value


def flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    if value.strip().lower() in TRUE:
        return True
    if value.strip().lower() in FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}.")


def words(name: str) -> list[str]:
    return [w.strip() for w in os.environ.get(name, "").split(",") if w.strip()]


DEBUG = False
SECRET_KEY = required("DJANGO_SECRET_KEY")
if SECRET_KEY.startswith("change-me"):
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY is still the placeholder of .env.example: set a long random value "
        '(python3 -c "import secrets; print(secrets.token_urlsafe(50))").'
    )
ALLOWED_HOSTS = [h.strip() for h in required("DJANGO_ALLOWED_HOSTS").split(",") if h.strip()]
# Only needed when forms are posted from another origin than the site's own address (for
# example a second domain name): "https://bilim.example.org,https://training.example.org".
CSRF_TRUSTED_ORIGINS = words("DJANGO_CSRF_TRUSTED_ORIGINS")

# HTTPS ends at the reverse proxy (nginx, Caddy, a load balancer), which must set
# X-Forwarded-Proto to the scheme the browser used (and overwrite any value the client sent).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = flag("DJANGO_SECURE_SSL_REDIRECT", True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
# Browsers remember HSTS for this many seconds: start with a small value (3600) on a new domain
# and raise it to a year once HTTPS works everywhere on it.
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_SECURE_HSTS_SECONDS", str(365 * 24 * 60 * 60)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = flag("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
# The preload directive alone changes nothing: it allows submitting the domain to browsers'
# preload lists (hstspreload.org), which is hard to undo.
SECURE_HSTS_PRELOAD = flag("DJANGO_SECURE_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Static files: `manage.py collectstatic` writes compressed copies with hashed names into
# STATIC_ROOT; whitenoise serves them with far-future cache headers.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Keep database connections for a minute instead of one per request, and check them first.
DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("DATABASE_CONN_MAX_AGE", "60"))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

# The rate limits of certificate checks and public registration count in the cache, so every app
# server and gunicorn worker must share it. Without BILIM_CACHE_URL that is the database cache
# (run `manage.py createcachetable` once after migrate; it needs nothing but the database);
# BILIM_CACHE_URL=redis://host:6379/1 uses Redis instead (needs `pip install redis`).
CACHE_URL = os.environ.get("BILIM_CACHE_URL", "").strip()
if CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    try:
        import redis  # noqa: F401
    except ImportError as error:
        raise ImproperlyConfigured(
            "BILIM_CACHE_URL names Redis but the redis package is not installed: "
            "`pip install redis`, or unset BILIM_CACHE_URL to use the database cache."
        ) from error
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
        }
    }
elif CACHE_URL in ("", "db", "database"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "bilim_cache",
            # One entry per client address and limit: culling at the default 300 entries would
            # let many addresses wipe each other's counts.
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    }
elif CACHE_URL == "locmem":
    # One process only: the limits then hold per gunicorn worker, not per site.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
else:
    raise ImproperlyConfigured(
        f"BILIM_CACHE_URL must be empty (the database cache), redis://..., or locmem, "
        f"not {CACHE_URL!r}."
    )

# Logs go to stdout, one line per record; systemd's journal (or the container runtime) keeps
# them. django.request logs every server error with its traceback.
LOG_LEVEL = os.environ.get("DJANGO_LOG_LEVEL", "INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "line": {"format": "%(asctime)s %(levelname)s %(name)s [%(process)d] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "line",
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.request": {"level": "ERROR"},
        "django.security": {"level": "WARNING"},
        # WeasyPrint reports every layout step at INFO: only its warnings are worth reading.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
