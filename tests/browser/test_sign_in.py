"""A person signs in through the real page in chromium and lands on their role's start page."""

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_organiser_signs_in_and_lands_on_sessions(
    live_server, page, user_with_role, sign_in, shoot
):
    user = user_with_role("Organiser", username="organiser1")
    sign_in(page, user)
    assert page.url == f"{live_server.url}/home/organiser/"
    assert page.get_by_role("heading", name="Sessions", level=1).is_visible()
    shoot(page, "organiser-home")


def test_wrong_password_is_refused_with_a_message(live_server, page, user_with_role):
    user = user_with_role("Trainer", username="trainer1")
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Sign in").click()
    assert "/accounts/login/" in page.url
    assert (
        page.get_by_role("alert").is_visible()
        or page.locator(".errorlist, .message--error").count()
    )


def test_reference_lists_survive(live_server):
    from participants.models import Gender

    assert Gender.objects.filter(code="female").exists()
