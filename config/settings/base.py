"""Settings shared by every environment; the environment is read once, here."""

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
DEBUG = False
ALLOWED_HOSTS: list[str] = [
    h.strip() for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(",") if h.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.forms",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "import_export",
    "simple_history",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "csp",
    "participants",
    "trainings",
    "certificates",
    "reports",
    "jobs",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files straight from the app server, compressed and cached forever when hashed.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # A NUL character in a URL, query or form answers 400 (PostgreSQL refuses it in text).
    "config.middleware.RefuseNulMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Signed-in people's pages are "Cache-Control: private, no-store" (config/middleware.py).
    "config.middleware.PrivatePagesMiddleware",
    # Two-factor: marks request.user as verified when the session passed a TOTP check.
    "django_otp.middleware.OTPMiddleware",
    # Every page needs sign-in unless its view says otherwise (login_not_required): the
    # certificate check, public registration, the sign-in page and the language switch.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Sign out sessions idle or old beyond their limits; send an administrator whose session has
    # not given their two-factor code to the code page (config/signin.py).
    "config.signin.SessionExpiryMiddleware",
    "config.signin.TwoFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # The audit trail records who made each change made during a request.
    "simple_history.middleware.HistoryRequestMiddleware",
    # Content-Security-Policy on every answer (the policy is CONTENT_SECURITY_POLICY below).
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
            ],
        },
    },
]

# Form widgets render through the project's templates (cached), so templates/django/forms can
# override one: the select there writes its options without an include each.
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

# The database is the one DATABASE_URL names; without it, an SQLite file in the project folder.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "0")),
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    # Twelve characters at least: a passphrase of a few words is easy to remember and to type.
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("ru", "Русский"), ("ky", "Кыргызча")]
TIME_ZONE = os.environ.get("DJANGO_TIME_ZONE", "Asia/Bishkek")
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]

STATIC_URL = "static/"
# collectstatic gathers every static file here; whitenoise serves them from there.
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT") or BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
# Uploaded files (certificate designs, signed sheets, imports waiting for their confirm). With
# several app servers this folder is shared between them (an NFS or object-storage mount).
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT") or BASE_DIR / "media")
# Plain storages here, so development and tests need no collectstatic; production.py swaps in
# whitenoise's compressed, hashed (cache-busting) static storage.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Everyone signs in on Bilim's own page and lands on their role's start page ("/" redirects).
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# The language a person picks in the switcher is kept for a year, also across sign-out.
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_HTTPONLY = True

# Imports: what one upload or file may hold before it is refused with a clear message.
BILIM_IMPORT_MAX_ROWS = int(os.environ.get("BILIM_IMPORT_MAX_ROWS", "50000"))
BILIM_IMPORT_MAX_BYTES = int(os.environ.get("BILIM_IMPORT_MAX_BYTES", str(20 * 1024 * 1024)))

# Certificates: the site's address, for the absolute verification URLs printed in QR codes.
BILIM_BASE_URL = os.environ.get("BILIM_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
# The public verification page slows down guessing: after this many unknown codes from one
# address within the window (seconds), it answers 429 until the window ends.
BILIM_VERIFY_MISS_LIMIT = int(os.environ.get("BILIM_VERIFY_MISS_LIMIT", "10"))
BILIM_VERIFY_MISS_WINDOW = int(os.environ.get("BILIM_VERIFY_MISS_WINDOW", "600"))
# Public registration: at most this many form submissions per client address within the window
# (seconds); more answer 429 until the window ends. A venue's shared Wi-Fi is one address: raise
# the limit for sessions where a whole room registers on the spot.
BILIM_REGISTER_LIMIT = int(os.environ.get("BILIM_REGISTER_LIMIT", "10"))
BILIM_REGISTER_WINDOW = int(os.environ.get("BILIM_REGISTER_WINDOW", "3600"))
# A form sent back sooner than this many seconds after it was handed out is taken for a robot.
BILIM_REGISTER_MIN_SECONDS = int(os.environ.get("BILIM_REGISTER_MIN_SECONDS", "3"))
# Participants with no activity (session ended, or record created) for this many years are listed
# for review (manage.py retention_review, the retention page): erase them or keep them.
BILIM_RETENTION_YEARS = int(os.environ.get("BILIM_RETENTION_YEARS", "5"))
# Background jobs' result files (exports and certificates, with names) are deleted this many
# days after the job finished: when a new job starts, or by manage.py prune_jobs.
BILIM_JOB_RESULT_DAYS = int(os.environ.get("BILIM_JOB_RESULT_DAYS", "7"))
# Where people write to see, correct or erase their data (shown in the consent text); optional.
BILIM_PRIVACY_CONTACT = os.environ.get("BILIM_PRIVACY_CONTACT", "")

# The statistics page keeps its figures in the cache until any row they count is written
# (reports/cache.py sees every write at the database connection); this bounds how long figures
# stay after writes made outside Django. 0 turns the cache off.
BILIM_STATS_CACHE_SECONDS = int(os.environ.get("BILIM_STATS_CACHE_SECONDS", "600"))

# The miss counts live in the cache. The local-memory cache is per process: with several app
# servers (or gunicorn workers), each counts on its own and a guesser gets the limit once per
# process. Production settings therefore use a shared cache: the database cache by default, or
# Redis when BILIM_CACHE_URL names one (see config/settings/production.py).
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "bilim",
    }
}

# Signing in (config/signin.py). Failed sign-ins are counted per account (the typed username,
# whether it exists or not) and per client address; at the limit within the window (seconds),
# that account or address is refused, even with the right password, for a whole window.
BILIM_LOGIN_FAILURE_LIMIT = int(os.environ.get("BILIM_LOGIN_FAILURE_LIMIT", "5"))
BILIM_LOGIN_ADDRESS_LIMIT = int(os.environ.get("BILIM_LOGIN_ADDRESS_LIMIT", "20"))
BILIM_LOGIN_WINDOW = int(os.environ.get("BILIM_LOGIN_WINDOW", "900"))
# Wrong two-factor codes per account before the code check is locked for a window.
BILIM_OTP_FAILURE_LIMIT = int(os.environ.get("BILIM_OTP_FAILURE_LIMIT", "5"))
# A session ends this many seconds after sign-in however busy (a working day), and after
# BILIM_SESSION_IDLE_SECONDS without a request (a computer left signed in).
SESSION_COOKIE_AGE = int(os.environ.get("BILIM_SESSION_MAX_AGE", str(8 * 60 * 60)))
BILIM_SESSION_IDLE_SECONDS = int(os.environ.get("BILIM_SESSION_IDLE_SECONDS", str(2 * 60 * 60)))
SESSION_SAVE_EVERY_REQUEST = False
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# No script reads the CSRF cookie (htmx sends the token from the page), so scripts may not.
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Two-factor codes (django-otp): the app shows "Bilim"; wrong codes are counted by
# config/signin.py (a lock after BILIM_OTP_FAILURE_LIMIT), not by django-otp's growing delays,
# which would refuse a right code silently seconds after a typo.
OTP_TOTP_ISSUER = "Bilim"
OTP_TOTP_THROTTLE_FACTOR = 0

# Content-Security-Policy (django-csp): the pages load only Bilim's own scripts, styles and
# images, and no page may be framed. Pages have no inline script, handler or style attribute.
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

# django-import-export: the admin's import and export run through the same resources as the
# commands; imports are all or nothing.
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_SKIP_ADMIN_LOG = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    # WeasyPrint reports every layout step at INFO: only its warnings are worth reading.
    "loggers": {
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# Background jobs: Django's tasks API with the database backend, so jobs need nothing beyond the
# database; `manage.py db_worker` runs them (make run starts one beside the web server).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
