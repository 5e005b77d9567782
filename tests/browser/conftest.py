"""Browser tests: Python playwright driving Debian's chromium against pytest-django's live server.

Screenshots of the pages go to ``artifacts/screenshots/`` (not committed) at desktop and phone
width; ``shoot(page, "name")`` takes both.
"""

import os
import shutil
from pathlib import Path

import pytest
from django.contrib.auth.models import Group

from tests.factories import UserFactory

# Playwright's sync API runs an event loop in this thread; the ORM calls of the test itself
# (factories, assertions) are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "correct horse battery staple"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}

if not Path(CHROMIUM).exists() or shutil.which("chromium") is None:
    pytest.skip("Debian's chromium is not installed (.ci/run installs it)", allow_module_level=True)


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "slow: heavy browser tests of the issue's sizes; run with BILIM_SLOW_TESTS=1"
    )


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Launch Debian's chromium, headless, without the network chatter the sandbox refuses."""
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": DESKTOP, "locale": "en-GB"}


@pytest.fixture(autouse=True)
def _reference_lists(reference_lists):
    """Every browser test starts with the reference lists (the previous one's flush emptied them)."""


@pytest.fixture
def user_with_role(transactional_db):
    """Make a user in a role group: ``user_with_role("Trainer", username="aida")``."""

    def make(role: str | None, **kwargs):
        user = UserFactory(**kwargs)
        if role:
            user.groups.add(Group.objects.get(name=role))
        return user

    return make


@pytest.fixture
def sign_in(live_server):
    """Sign a user in through the sign-in page and return the page on their start page."""

    def do(page, user):
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()
        return page

    return do


@pytest.fixture
def shoot():
    """Save a full-page screenshot of the current page at desktop and phone width."""

    def take(page, name: str) -> list[Path]:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        paths = []
        for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
            page.set_viewport_size(size)
            path = SCREENSHOTS / f"{name}-{label}.png"
            page.screenshot(path=str(path), full_page=True)
            paths.append(path)
        page.set_viewport_size(DESKTOP)
        return paths

    return take
