"""Settings for a developer's machine and the demo: debug on, a fixed development key."""

from .base import *  # noqa: F403

DEBUG = True
SECRET_KEY = SECRET_KEY or "django-insecure-bilim-local-development-only"  # noqa: F405
ALLOWED_HOSTS = ALLOWED_HOSTS or ["127.0.0.1", "localhost", "[::1]"]  # noqa: F405
# One cache for the web server and the job worker of `make run` (two processes), so that the
# statistics page sees a background import's writes and the rate limits count across both.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": BASE_DIR / ".cache",  # noqa: F405
    }
}
