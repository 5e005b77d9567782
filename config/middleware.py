"""Small guards every request passes: no NUL characters in input, no caching of signed-in pages."""

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils.cache import patch_cache_control


def _has_nul(request: HttpRequest) -> bool:
    if "\x00" in request.path:
        return True
    data = [request.GET]
    if request.method == "POST":
        data.append(request.POST)
    return any(
        "\x00" in key or any("\x00" in value for value in values)
        for query in data
        for key, values in query.lists()
    )


class RefuseNulMiddleware:
    """Answer 400 to a URL, query or form holding a NUL character.

    No one types one; PostgreSQL refuses it in text (a DataError, so a 500 wherever a URL's code
    or a query value reaches a lookup). Forms' fields already refuse it; this covers the rest.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _has_nul(request):
            return HttpResponseBadRequest("Null characters are not allowed.")
        return self.get_response(request)


class PrivatePagesMiddleware:
    """Mark every answer to a signed-in person ``Cache-Control: private, no-store``.

    Their pages hold names, scores and exports: no shared proxy may keep them, and no browser
    should keep them on disk for the next person at a shared computer. Answers that set their
    own Cache-Control keep it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not response.has_header("Cache-Control"):
            patch_cache_control(response, private=True, no_store=True)
        return response
