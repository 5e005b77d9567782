"""WSGI entry point for gunicorn (`gunicorn -c config/gunicorn.conf.py`).

Behind a reverse proxy every request comes from the proxy's address. The rate limits of the
certificate check and of public registration count per client address (REMOTE_ADDR), so the
client's own address is put back here: when the request comes from a trusted proxy (the addresses
or networks in FORWARDED_ALLOW_IPS, the same variable gunicorn reads), REMOTE_ADDR becomes the
right-most X-Forwarded-For entry that is not itself a trusted proxy. Entries further left were
written by the client and are never believed. From any other address, X-Forwarded-For is ignored.
"""

import ipaddress
import os
from collections.abc import Callable, Iterable
from typing import Any

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def trusted_networks(value: str) -> list[Network] | None:
    """The proxies FORWARDED_ALLOW_IPS names; None for "*" (only the direct peer is trusted)."""
    networks = []
    for word in value.split(","):
        word = word.strip()
        if word == "*":
            return None
        if word:
            networks.append(ipaddress.ip_network(word, strict=False))
    return networks


def _is_trusted(address: str, networks: list[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip().strip("[]"))
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(remote: str, forwarded_for: str, networks: list[Network] | None) -> str:
    """The address of the client as the nearest trusted proxy saw it."""
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    if not hops:
        return remote
    if networks is None:
        return hops[-1]
    if not _is_trusted(remote, networks):
        return remote
    for hop in reversed(hops):
        if not _is_trusted(hop, networks):
            return hop
    return hops[0]


class ProxiedClientAddress:
    """WSGI middleware: REMOTE_ADDR is the client's address, not the reverse proxy's."""

    def __init__(self, app: Callable[..., Iterable[bytes]], networks: list[Network] | None):
        self.app = app
        self.networks = networks

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        forwarded_for = environ.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded_for:
            remote = environ.get("REMOTE_ADDR", "")
            environ["REMOTE_ADDR"] = client_address(remote, forwarded_for, self.networks)
        return self.app(environ, start_response)


application = ProxiedClientAddress(
    get_wsgi_application(),
    trusted_networks(os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")),
)
