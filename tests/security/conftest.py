"""The URL walk's world (a session, its trainer, an enrolment with a certificate, every role)."""

from tests.test_url_permissions import world  # noqa: F401 - a fixture, shared by name
