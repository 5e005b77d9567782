"""Every form of every page, posted garbage by a person the page admits: never a 500.

Walks the URL list of tests/test_url_permissions.py. For each URL that a role may POST to, the
fields are those of the pages' HTML forms that post there (their rendered values as the base),
plus the fields the grids' scripts send. Each field then gets each kind of garbage (too long,
10,000 characters, negative and huge numbers, 2026-02-30, letters for numbers, an id that does
not exist, blank, NUL, Cyrillic, emoji), alone and all fields at once. After each request:

- the answer is not a server error (the test client raises the view's exception);
- an answer that shows form errors wrote nothing;
- whatever was written passes its model's own validation (full_clean) and holds no NUL: a
  redirect happened only for input that was valid.
"""

from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.core.exceptions import ValidationError
from django.forms import BaseForm
from django.urls import Resolver404, resolve

from certificates.models import Certificate
from participants.models import Agency, Participant
from tests.test_url_permissions import (
    ACCESS,
    ADMINISTRATOR,
    ANONYMOUS,
    ORGANISER,
    OWN_TRAINER,
    fingerprint,
    named_urls,
    url_for,
    world,  # noqa: F401 (fixture)
)
from trainings.models import Attendance, Course, Enrolment, Session, TrainingDay

pytestmark = pytest.mark.django_db

GARBAGE = {
    "too long": "x" * 300,
    "10,000 characters": "Ж" * 10_000,
    "negative": "-1",
    "huge": "9" * 30,
    "no such date": "2026-02-30",
    "letters for a number": "abc",
    "an id that does not exist": "987654321",
    "blank": "",
    "NUL": "a\x00b",
    "Cyrillic": "Өмүрбекова Айгүл",
    "emoji": "🙂👍🏽",
    "exponent": "1e999999",
    "markup": "'; DROP TABLE x;--<script>",
}
# Each field alone gets these (every kind, all fields at once, covers the rest).
ALONE = ("10,000 characters", "huge", "no such date", "an id that does not exist", "NUL", "emoji")

# Pages that post and are not forms people fill in, or whose posts cannot be garbage.
SKIP = {"logout", "set_language", "two_factor"}
MODELS = (Participant, Agency, Course, Session, TrainingDay, Enrolment, Attendance, Certificate)


class Forms(HTMLParser):
    """The POST forms of a page: action, and (name, value) of each field and named button."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            if (a.get("method") or "get").lower() == "post":
                self._form = {"action": a.get("action") or "", "fields": {}}
                self.forms.append(self._form)
            return
        if self._form is None:
            return
        fields = self._form["fields"]
        name = a.get("name")
        if not name or name == "csrfmiddlewaretoken":
            return
        if tag == "input":
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a or name not in fields:
                    fields[name] = a.get("value", "on")
            elif kind != "file":
                fields.setdefault(name, a.get("value") or "")
        elif tag == "button":
            fields.setdefault(name, a.get("value") or "1")
        elif tag == "select":
            self._select = name
            fields.setdefault(name, "")
        elif tag == "option" and self._select:
            if "selected" in a or not fields[self._select]:
                fields[self._select] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = name
            fields.setdefault(name, "")

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea and self._form is not None:
            self._form["fields"][self._textarea] += data


def poster_for(name: str) -> str | None:
    allowed = ACCESS[name].post
    # Public pages (sign-in, registration) as a visitor: signed in, they may send one away.
    for visitor in (ANONYMOUS, ORGANISER, OWN_TRAINER, ADMINISTRATOR):
        if visitor in allowed:
            return visitor
    return None


POSTED = sorted(n for n in ACCESS if n not in SKIP and poster_for(n) is not None)


def scripted_fields(name: str, world) -> dict[str, str]:  # noqa: F811
    """The fields the grids' scripts post (no HTML form carries them)."""
    enrolment = world["enrolment"]
    day = enrolment.session.days.order_by("date").first()
    day_id = str(day.pk) if day else "1"
    return {
        "trainings:attendance_mark": {
            "enrolment": str(enrolment.pk),
            "day": day_id,
            "was": "0",
            "present": "1",
        },
        "trainings:attendance_day_present": {"day": day_id, "absent": ""},
        "trainings:score_save": {
            "enrolment": str(enrolment.pk),
            "field": "pre_score",
            "was": "",
            "value": "10",
        },
    }.get(name, {})


# Pages whose forms post elsewhere (buttons on a session's or a person's page).
FORM_PAGES = (
    "trainings:session_detail",
    "trainings:enrolment_add",
    "participants:participant_detail",
    "reports:statistics",
    "jobs:list",
)


def form_fields(client, world, name: str) -> dict[str, str]:  # noqa: F811
    """The fields of the HTML forms (on the page itself or one of FORM_PAGES) posting here."""
    urls = named_urls()
    fields: dict[str, str] = {}
    for page in (name, *FORM_PAGES):
        url = url_for(page, urls[page], world)
        response = client.get(url)
        if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
            continue
        parser = Forms()
        parser.feed(response.content.decode())
        for form in parser.forms:
            target = urlsplit(urljoin(url, form["action"])).path
            try:
                match = resolve(target)
            except Resolver404:
                continue
            if match.view_name == name:
                for key, value in form["fields"].items():
                    fields.setdefault(key, value)
    return {**fields, **scripted_fields(name, world)}


def invalid_records() -> set[tuple[str, int, str]]:
    """Records that fail their model's validation or hold a NUL, with why."""
    found = set()
    for model in MODELS:
        for record in model.objects.all():
            try:
                record.full_clean(validate_unique=False, validate_constraints=False)
            except ValidationError as exc:
                found.add((model.__name__, record.pk, str(sorted(exc.message_dict))))
            for field in record._meta.concrete_fields:
                value = getattr(record, field.attname)
                if isinstance(value, str) and "\x00" in value:
                    found.add((model.__name__, record.pk, f"NUL in {field.name}"))
    return found


def shows_form_errors(response) -> bool:
    if response.status_code != 200 or response.context is None:
        return False
    return any(
        isinstance(value, BaseForm) and value.is_bound and value.errors
        for layer in response.context
        for mapping in layer.dicts
        for value in mapping.values()
    )


@pytest.mark.parametrize("name", POSTED)
def test_garbage_in_every_field_never_breaks_a_page_nor_writes_invalid_data(
    client,
    world,  # noqa: F811
    name,
):
    visitor = poster_for(name)
    if visitor != ANONYMOUS:
        client.force_login(world["users"][visitor])
    url = url_for(name, named_urls()[name], world)
    base = form_fields(client, world, name)
    attempts: list[tuple[str, dict[str, str]]] = [
        (f"every field {kind}", dict.fromkeys(base, value) | _buttons(base))
        for kind, value in GARBAGE.items()
    ]
    attempts += [
        (f"{field} {kind}", {**base, field: GARBAGE[kind]}) for field in base for kind in ALONE
    ]
    known_bad = invalid_records()
    problems = []
    for what, data in attempts:
        before = fingerprint()
        response = client.post(url, data)
        said = f"POST {url} {what}: {response.status_code}"
        assert response.status_code < 500, said
        if shows_form_errors(response) and fingerprint() != before:
            problems.append(f"wrote although the form shows errors: {said}")
        new_bad = invalid_records() - known_bad
        if new_bad:
            problems.append(f"wrote invalid data {sorted(new_bad)}: {said}")
            known_bad |= new_bad
    assert problems == []


def _buttons(base: dict[str, str]) -> dict[str, str]:
    """Named submit buttons keep their values, so the post reaches the form they submit."""
    return {k: v for k, v in base.items() if k in ("action", "confirm", "discard", "apply")}
