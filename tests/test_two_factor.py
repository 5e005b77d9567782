"""Two-factor sign-in for administrators: setting up a TOTP device, the code step, the admin."""

import time

import pytest
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import user_in
from trainings import roles

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"  # the factories' password
LOGIN = "/accounts/login/"
CODE_PAGE = "/accounts/login/code/"
SETUP = "/accounts/two-factor/"
WRONG = "That code is not right, or it has been used already."


def code_of(device: TOTPDevice, at: float | None = None) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() if at is None else at
    return f"{totp.token():06d}"


def wrong_code(device: TOTPDevice) -> str:
    right = code_of(device)
    return next(c for c in ("000000", "111111", "222222") if c != right)


@pytest.fixture
def admin():
    return user_in(roles.ADMINISTRATOR, username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def device(admin):
    return TOTPDevice.objects.create(user=admin, name="Bilim", confirmed=True)


def password_step(client, user, next_url="/admin/"):
    return client.post(
        f"{LOGIN}?next={next_url}",
        {"username": user.username, "password": PASSWORD, "next": next_url},
    )


def signed_in(client) -> bool:
    return client.get("/admin/").status_code == 200


# --- setting it up -----------------------------------------------------------------------------


def test_an_administrator_sets_up_confirms_and_removes_a_device(client, admin):
    client.force_login(admin)
    assert "Set up two-factor sign-in" in client.get(SETUP).content.decode()

    client.post(SETUP, {"action": "start"})
    device = TOTPDevice.objects.get(user=admin)
    assert device.confirmed is False
    page = client.get(SETUP).content.decode()
    assert 'src="data:image/svg+xml' in page
    secret = page.split('<code class="code">')[1].split("</code>")[0]
    assert len(secret.replace(" ", "")) == 32

    response = client.post(SETUP, {"action": "confirm", "code": wrong_code(device)})
    assert WRONG in response.content.decode()
    device.refresh_from_db()
    assert device.confirmed is False

    client.post(SETUP, {"action": "confirm", "code": code_of(device)})
    device.refresh_from_db()
    assert device.confirmed is True
    # This session gave the code: it stays signed in and reaches the admin.
    assert signed_in(client)
    assert "Two-factor sign-in is on" in client.get(SETUP).content.decode()

    client.post(SETUP, {"action": "remove", "code": wrong_code(device)})
    assert TOTPDevice.objects.filter(user=admin).exists()


def test_removing_takes_a_fresh_code_and_then_the_password_is_enough(client, admin, clock):
    device = TOTPDevice.objects.create(user=admin, name="Bilim", confirmed=True)
    password_step(client, admin)
    client.post(CODE_PAGE, {"code": code_of(device)})
    clock.now += 30
    client.post(SETUP, {"action": "remove", "code": code_of(device)})
    assert not TOTPDevice.objects.filter(user=admin).exists()

    client.post(reverse("logout"))
    assert password_step(client, admin)["Location"] == "/admin/"


def test_other_roles_cannot_set_up_a_device(client):
    organiser = user_in(roles.ORGANISER)
    client.force_login(organiser)
    assert client.get(SETUP).status_code == 403
    assert client.post(SETUP, {"action": "start"}).status_code == 403
    assert not TOTPDevice.objects.exists()


def test_an_administrator_by_group_may_set_one_up(client):
    member = user_in(roles.ADMINISTRATOR)
    client.force_login(member)
    client.post(SETUP, {"action": "start"})
    assert TOTPDevice.objects.filter(user=member, confirmed=False).count() == 1


# --- the code step -----------------------------------------------------------------------------


def test_the_password_alone_does_not_sign_in_a_user_with_a_device(client, admin, device):
    response = password_step(client, admin)
    assert response["Location"] == CODE_PAGE
    assert not signed_in(client)
    assert "Enter your sign-in code" in client.get(CODE_PAGE).content.decode()


def test_a_wrong_code_is_refused_and_the_right_one_admits(client, admin, device):
    password_step(client, admin)

    response = client.post(CODE_PAGE, {"code": wrong_code(device)})
    assert response.status_code == 200
    assert WRONG in response.content.decode()
    assert not signed_in(client)

    response = client.post(CODE_PAGE, {"code": code_of(device)})
    assert response["Location"] == "/admin/"
    assert signed_in(client)


def test_a_code_cannot_be_used_twice(client, admin, device, clock):
    code = code_of(device)
    password_step(client, admin)
    assert client.post(CODE_PAGE, {"code": code})["Location"] == "/admin/"
    client.post(reverse("logout"))

    password_step(client, admin)
    response = client.post(CODE_PAGE, {"code": code})
    assert WRONG in response.content.decode()
    assert not signed_in(client)
    # The next time step's code works.
    clock.now += 30
    assert client.post(CODE_PAGE, {"code": code_of(device)})["Location"] == "/admin/"


def test_letters_are_not_a_code(client, admin, device):
    password_step(client, admin)
    response = client.post(CODE_PAGE, {"code": "12ab56"})
    assert "Enter the digits your app shows" in response.content.decode()
    assert not signed_in(client)


def test_five_wrong_codes_lock_the_code_check_even_for_the_right_code(client, admin, device, clock):
    password_step(client, admin)
    answers = [client.post(CODE_PAGE, {"code": wrong_code(device)}).status_code for _ in range(5)]
    assert answers == [200, 200, 200, 200, 429]

    response = client.post(CODE_PAGE, {"code": code_of(device)})
    assert response.status_code == 429
    assert "Too many failed attempts" in response.content.decode()
    assert not signed_in(client)

    # A new password step does not reset the code's lock ...
    password_step(client, admin)
    assert client.post(CODE_PAGE, {"code": code_of(device)}).status_code == 429
    # ... the window's end does (the pending step is five minutes, so sign in again).
    clock.now += 901
    password_step(client, admin)
    assert client.post(CODE_PAGE, {"code": code_of(device)})["Location"] == "/admin/"


def test_the_code_must_follow_the_password_within_five_minutes(client, admin, device, clock):
    password_step(client, admin)
    clock.now += 5 * 60 + 1
    response = client.post(CODE_PAGE, {"code": code_of(device)})
    assert "No sign-in is waiting for a code" in response.content.decode()
    assert not signed_in(client)


def test_the_code_page_without_a_password_step_admits_nobody(client, admin, device):
    response = client.post(CODE_PAGE, {"code": code_of(device)})
    assert response.status_code == 200
    assert "No sign-in is waiting for a code" in response.content.decode()
    assert not signed_in(client)


def test_an_unconfirmed_device_does_not_ask_for_a_code(client, admin):
    TOTPDevice.objects.create(user=admin, name="Bilim", confirmed=False)
    assert password_step(client, admin)["Location"] == "/admin/"


# --- sessions the code has not verified ---------------------------------------------------------


def test_the_admin_sends_an_unverified_session_to_the_code_page(client, admin, device):
    client.force_login(admin)  # a session without the code, e.g. from before the device

    response = client.get("/admin/participants/participant/")
    assert response.status_code == 302
    assert response["Location"] == CODE_PAGE
    assert not signed_in(client)

    response = client.post(CODE_PAGE, {"code": code_of(device)})
    assert response["Location"] == "/admin/participants/participant/"
    assert client.get("/admin/participants/participant/").status_code == 200


def test_bilims_own_pages_also_ask_an_unverified_administrator_for_the_code(client, admin, device):
    client.force_login(admin)
    assert client.get("/home/administrator/")["Location"] == CODE_PAGE


def test_other_roles_are_not_asked_for_a_code(client):
    organiser = user_in(roles.ORGANISER)
    client.force_login(organiser)
    assert client.get("/home/organiser/").status_code == 200
