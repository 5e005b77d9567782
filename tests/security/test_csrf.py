"""Cross-site request forgery: every POST without the right token is refused and changes nothing.

For every URL that takes a POST and every visitor its rule lets post (the public registration,
sign-in, sign-out and language forms by every visitor, anonymous included), a browser that
enforces the checks posts three forged requests: without the CSRF cookie or token, with the
cookie but no token, and with the cookie and a wrong token. Each is answered 403 by the CSRF
check and leaves every table as it was. The same post with the right token gets past the check
(so the 403 comes from the missing token, not from somewhere else).

The trainers' grids save cells with htmx, which sends the token in the X-CSRFToken header that
base.html sets on <body>: without the header, or with a wrong one, the cell is not saved.
"""

import re
import secrets
import string
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.security.common import (
    ACCESS,
    ANONYMOUS,
    OWN_TRAINER,
    VISITORS,
    changed_tables,
    database_state,
    named_urls,
    post_urls,
    url_for,
)
from trainings.models import Attendance, Enrolment

pytestmark = pytest.mark.django_db

FAILED = b"CSRF verification failed"
GRID_SAVES = (
    "trainings:attendance_mark",
    "trainings:attendance_day_present",
    "trainings:score_save",
)


def csrf_secret() -> str:
    """Return a well-formed CSRF secret (32 letters and digits) of the browser's own."""
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(32))


def forged_client(user, cookie: str | None) -> Client:
    """A browser that enforces the CSRF checks, signed in as ``user``, with ``cookie`` if any."""
    browser = Client(enforce_csrf_checks=True)
    if user is not None:
        browser.force_login(user)
    if cookie is not None:
        browser.cookies[settings.CSRF_COOKIE_NAME] = cookie
    return browser


def form_of(url: str) -> dict[str, str]:
    # The merge page posts the two ids it was opened with.
    return dict(parse_qsl(urlsplit(url).query))


FORGERIES = {
    "no cookie, no token": lambda secret: (None, None),
    "cookie, no token": lambda secret: (secret, None),
    "cookie, wrong token": lambda secret: (secret, csrf_secret()),
}


def test_every_url_taking_a_post_is_tried():
    names = post_urls()
    # The walk covers the forms that matter most; a URL losing its POST handler shows here.
    for name in (
        "login",
        "trainings:register",
        "trainings:score_save",
        "trainings:enrolment_status",
    ):
        assert name in names
    assert all(ACCESS[name].post for name in names)


@pytest.mark.parametrize("name", post_urls())
def test_a_post_without_the_right_token_is_refused_and_changes_nothing(world, name):
    url = url_for(name, named_urls()[name], world)
    admitted = [v for v in VISITORS if v in ACCESS[name].post]
    problems = []
    for visitor in admitted:
        user = None if visitor == ANONYMOUS else world["users"][visitor]
        for forgery, make in FORGERIES.items():
            cookie, token = make(csrf_secret())
            data = form_of(url)
            if token is not None:
                data["csrfmiddlewaretoken"] = token
            before = database_state()
            response = forged_client(user, cookie).post(url, data)
            said = f"POST {url} as {visitor}, {forgery}: {response.status_code}"
            if response.status_code != 403 or FAILED not in response.content:
                problems.append(f"not refused: {said}")
            elif changed := changed_tables(before):
                problems.append(f"changed {changed}: {said}")
    assert problems == []

    # The control: the same post with the right token gets past the check.
    secret = csrf_secret()
    user = None if admitted[0] == ANONYMOUS else world["users"][admitted[0]]
    data = {**form_of(url), "csrfmiddlewaretoken": secret}
    response = forged_client(user, secret).post(url, data)
    assert FAILED not in response.content, f"{url} as {admitted[0]} with the right token"


# --- htmx: the token travels in a header ---------------------------------------------------------


def grid_token(browser: Client, session) -> str:
    """Open the attendance grid as a browser would and read the token htmx sends."""
    page = browser.get(reverse("trainings:attendance_grid", args=[session.code]))
    assert page.status_code == 200
    found = re.search(r"hx-headers='\{\"X-CSRFToken\": \"([^\"]+)\"\}'", page.content.decode())
    assert found, "base.html no longer gives htmx the token"
    return found.group(1)


def grid_post(world, name: str) -> tuple[str, dict[str, str]]:
    """A cell change the session's own trainer may make: the URL and its form."""
    session, enrolment = world["session"], world["enrolment"]
    day = session.days.order_by("date").first()
    url = reverse(name, args=[session.code])
    if name == "trainings:score_save":
        return url, {"enrolment": str(enrolment.pk), "field": "pre", "was": "", "value": "55"}
    if name == "trainings:attendance_mark":
        return url, {"enrolment": str(enrolment.pk), "day": str(day.pk), "was": "false"}
    return url, {"day": str(day.pk), "absent": str(enrolment.pk)}


def saved(world) -> tuple:
    enrolment = Enrolment.objects.get(pk=world["enrolment"].pk)
    marks = tuple(Attendance.objects.filter(present=True).values_list("enrolment_id", "day_id"))
    return enrolment.pre_score, marks


@pytest.mark.parametrize("name", GRID_SAVES)
def test_a_grid_save_without_the_token_header_is_refused(world, name):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world["users"][OWN_TRAINER])
    token = grid_token(browser, world["session"])
    url, form = grid_post(world, name)
    htmx = {"HTTP_HX_REQUEST": "true"}

    for header in ({}, {"HTTP_X_CSRFTOKEN": csrf_secret()}, {"HTTP_X_CSRFTOKEN": ""}):
        before = database_state()
        response = browser.post(url, form, **htmx, **header)
        assert response.status_code == 403 and FAILED in response.content, header
        assert changed_tables(before) == [], header

    # The grid's own request, with the header htmx sends, saves the cell.
    before = saved(world)
    response = browser.post(url, form, **htmx, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200
    assert saved(world) != before
