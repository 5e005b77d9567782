"""Render Django templates to PDF with WeasyPrint, reading static and media files from disk.

Pages refer to files by their ordinary URLs (``{% static %}``, ``FileField.url``); the fetcher
maps those to files on disk and refuses everything else, so rendering never makes an HTTP request
(to this server or to the internet). ``data:`` URLs (inline QR codes) pass through.
"""

from pathlib import Path
from typing import Any

import weasyprint
from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from weasyprint.urls import URLFetcher, URLFetchingError

# A base URL no request can reach: only the fetcher below ever sees it.
BASE_URL = "https://bilim.invalid/"


def _inside(root: Path, relative: str) -> Path | None:
    root = root.resolve()
    path = (root / relative).resolve()
    return path if path.is_file() and path.is_relative_to(root) else None


def local_path(url: str) -> Path | None:
    """Return the file on disk that a static or media URL names, or None."""
    path = url.removeprefix(BASE_URL.rstrip("/"))
    static_prefix = "/" + settings.STATIC_URL.strip("/") + "/"
    media_prefix = "/" + settings.MEDIA_URL.strip("/") + "/"
    if path.startswith(static_prefix):
        relative = path[len(static_prefix) :]
        found = finders.find(relative)
        if found:
            return Path(found)
        return _inside(Path(settings.STATIC_ROOT), relative) if settings.STATIC_ROOT else None
    if path.startswith(media_prefix):
        return _inside(Path(settings.MEDIA_ROOT), path[len(media_prefix) :])
    return None


class LocalFetcher(URLFetcher):
    """Serve static and media files from disk and data: URLs; refuse everything else."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols={"file", "data"})

    def fetch(self, url: str, headers: Any = None) -> Any:
        if url.startswith("data:"):
            return super().fetch(url, headers)
        path = local_path(url)
        if path is None:
            raise URLFetchingError(f"not a static or media file of Bilim: {url}")
        return super().fetch(path.as_uri(), headers)


def render_document(template_name: str, context: dict[str, Any]) -> weasyprint.Document:
    """Lay out a template as a WeasyPrint document (pages can then be written or split)."""
    html = render_to_string(template_name, context)
    return weasyprint.HTML(string=html, base_url=BASE_URL, url_fetcher=LocalFetcher()).render()


def render_pdf(template_name: str, context: dict[str, Any]) -> bytes:
    """Render a template to PDF bytes."""
    return render_document(template_name, context).write_pdf()
