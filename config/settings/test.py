"""Settings for the test suite: fast hashing, in-memory email."""

import os

from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = "bilim-test-key-not-secret"
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Jobs run at once, inside the request, unless a test starts a worker itself.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
# Static files through whitenoise as in production, but found in the apps' folders at each request
# (no collectstatic before the tests).
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
# Tests run inside one transaction each, so commits never happen: the statistics cache is off,
# and tests/reports/test_cache.py turns it on with transactions that commit.
BILIM_STATS_CACHE_SECONDS = 0

# The slow browser tests (BILIM_SLOW_TESTS=1) run a job worker thread beside the live server on
# 300,000 rows. SQLite's shared in-memory test database locks whole tables between connections
# ("database table is locked"), so these runs use a file in write-ahead-log mode, where readers
# and the one writer do not block each other, and wait for a busy database instead of failing.
if os.environ.get("BILIM_SLOW_TESTS") == "1" and DATABASES["default"]["ENGINE"].endswith(  # noqa: F405
    "sqlite3"
):
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "bench" / "out" / "test-slow.sqlite3")}  # noqa: F405
    DATABASES["default"]["OPTIONS"] = {  # noqa: F405
        "timeout": 60,
        "init_command": "PRAGMA journal_mode=WAL;",
    }
