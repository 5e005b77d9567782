"""Every page answers with a strict Content-Security-Policy, and its HTML needs nothing it forbids.

Walks the pages of tests/test_accessibility.py (each named URL that answers HTML to GET, as the
first visitor it admits) plus the admin's index, lists and forms. tests/browser/test_csp.py opens
the main pages in chromium and collects what the browser itself reports as violations.
"""

import pytest
from django.urls import reverse

from tests.test_accessibility import PAGES, PageAudit, reader_for
from tests.test_url_permissions import (
    ANONYMOUS,
    named_urls,
    url_for,
    world,  # noqa: F401 (fixture)
)

pytestmark = pytest.mark.django_db

REQUIRED = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "frame-ancestors": "'none'",
}
FORBIDDEN = ("'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "*", "http:", "https:")


def policy_problems(response) -> list[str]:
    header = response.get("Content-Security-Policy")
    if not header:
        return ["no Content-Security-Policy header"]
    directives = {
        parts[0]: parts[1:] for parts in (d.split() for d in header.split(";") if d.strip())
    }
    problems = [
        f"{name} is {directives.get(name)}, not [{value}]"
        for name, value in REQUIRED.items()
        if directives.get(name) != [value]
    ]
    problems += [
        f"{name} allows {source}"
        for name, sources in directives.items()
        for source in sources
        if source in FORBIDDEN
    ]
    return problems


class StyleElements(PageAudit):
    """PageAudit, plus <style> elements (style-src 'self' blocks them like style attributes)."""

    def __init__(self) -> None:
        super().__init__()
        self.style_elements = 0

    def handle_starttag(self, tag, attrs):
        super().handle_starttag(tag, attrs)
        if tag == "style":
            self.style_elements += 1


def html_problems(response) -> list[str]:
    audit = StyleElements()
    audit.feed(response.content.decode())
    found = [f"{audit.inline_scripts} inline scripts"] if audit.inline_scripts else []
    if audit.style_elements:
        found.append(f"{audit.style_elements} <style> elements")
    return found + audit.handlers + audit.styles


@pytest.mark.parametrize("name", PAGES)
def test_page_has_a_strict_policy_and_needs_nothing_it_forbids(client, world, name):  # noqa: F811
    visitor = reader_for(name)
    if visitor != ANONYMOUS:
        client.force_login(world["users"][visitor])
    url = url_for(name, named_urls()[name], world)
    response = client.get(url, follow=True)
    assert response.status_code == 200, url
    assert policy_problems(response) == [], url
    assert html_problems(response) == [], url


ADMIN_PAGES = [
    "admin:index",
    "admin:auth_user_changelist",
    "admin:auth_user_add",
    "admin:trainings_session_changelist",
    "admin:trainings_session_add",
    "admin:participants_participant_changelist",
    "admin:participants_participant_add",
    "admin:certificates_certificate_changelist",
    "admin:otp_totp_totpdevice_changelist",
    "admin:trainings_session_export",
    "admin:participants_participant_export",
    "admin:trainings_session_import",
]


@pytest.mark.parametrize("name", ADMIN_PAGES)
def test_admin_page_has_a_strict_policy_and_needs_nothing_it_forbids(admin_client, name):
    response = admin_client.get(reverse(name))
    assert response.status_code == 200
    assert policy_problems(response) == []
    assert html_problems(response) == []


def test_a_change_form_in_the_admin_needs_nothing_the_policy_forbids(admin_client, world):  # noqa: F811
    session = world["session"]
    response = admin_client.get(reverse("admin:trainings_session_change", args=[session.pk]))
    assert response.status_code == 200
    assert policy_problems(response) == []
    assert html_problems(response) == []


def test_the_policy_is_on_error_and_refusal_answers_too(client, world):  # noqa: F811
    client.force_login(world["users"]["M&E officer"])
    forbidden = client.get(reverse("trainings:course_create"))
    missing = client.get("/certificates/verify/NOPE-NOPE/")
    assert forbidden.status_code == 403
    assert missing.status_code == 404
    assert policy_problems(forbidden) == policy_problems(missing) == []
