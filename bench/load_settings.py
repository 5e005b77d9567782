"""Settings for bench/load.py's gunicorn: the base settings with DEBUG off, on the bench database.

DATABASE_URL (set by bench/load.py to the benchmark's own database) picks the database, as in
production; connections are kept between requests like a production deployment would
(DATABASE_CONN_MAX_AGE, 60 s unless set), and the cache is production's database cache. Static
files are not served: the bench asks for HTML.
"""

import os

os.environ.setdefault("DATABASE_CONN_MAX_AGE", "60")

from config.settings.base import *  # noqa: F403

DEBUG = False
SECRET_KEY = SECRET_KEY or "bench-load-only-never-deployed"  # noqa: F405
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
# As in production (config/settings/production.py): the database cache, one for both workers,
# which keeps the statistics page's figures and the data version that invalidates them.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "bilim_cache",
        "OPTIONS": {"MAX_ENTRIES": 100_000},
    }
}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
