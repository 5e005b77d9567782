"""gunicorn's settings for Bilim: `gunicorn -c config/gunicorn.conf.py` (from the project folder).

Each value can be changed from the environment; the defaults suit one app server behind a
reverse proxy on the same machine.
"""

import multiprocessing
import os

wsgi_app = "config.wsgi:application"

# Where to listen: the reverse proxy forwards here. "0.0.0.0:8000" when the proxy (or the load
# balancer) is on another machine; "unix:/run/bilim/gunicorn.sock" for a socket.
bind = [b.strip() for b in os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").split(",")]

# Synchronous workers, gunicorn's own rule of thumb: two per core, plus one.
workers = int(os.environ.get("GUNICORN_WORKERS", str(2 * multiprocessing.cpu_count() + 1)))

# A request taking longer than this (seconds) is killed and logged. Long work (certificate batches,
# large exports and imports) runs in the background worker, not in a request.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5

# Replace each worker after about this many requests, so memory held by one large page or
# PDF is given back (0 turns it off).
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "1000"))
max_requests_jitter = max_requests // 10

# Which proxies may tell gunicorn the client's scheme and address (X-Forwarded-*): the reverse
# proxy's address, "*" only when nothing but the proxy can reach gunicorn.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# Access and error logs on stdout/stderr, where systemd's journal (or the container) keeps them.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'

# gunicorn's control socket (for `gunicornc`) defaults to one path per user, which two gunicorns
# of the same user would share: off unless a path is given, e.g. /run/bilim/gunicorn.ctl.
control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET", "")
control_socket_disable = not control_socket
if control_socket_disable:
    del control_socket
