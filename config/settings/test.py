"""Settings for the test suite: fast hashing, in-memory email."""

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
