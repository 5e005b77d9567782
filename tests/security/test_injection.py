"""SQL, HTML, template and spreadsheet-formula injection through every place text comes in.

Text typed into the directory search and the session filters, names sent through the public
registration form and a roster import: each is stored exactly as typed, every page shows it
escaped (the literal ``<script>`` as text, no script element, ``{{7*7}}`` not evaluated), and
the M&E workbook writes it as a text cell, never as a formula (the CSV quotes it).
"""

import csv
import io

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from participants.models import Participant
from tests.factories import agency_type, region
from tests.security.common import ADMINISTRATOR, ORGANISER, OWN_TRAINER
from trainings.forms_registration import form_stamp
from trainings.models import Enrolment, Session

pytestmark = pytest.mark.django_db

DROP = "O'Brien'; DROP TABLE participants_participant; --"
SCRIPT = "<script>alert(1)</script>"
TEMPLATE = "{{7*7}}{% debug %}"
FORMULA = "=cmd|' /C calc'!A0"
ATTRIBUTE = '" autofocus onfocus="alert(1)'
INJECTIONS = (DROP, SCRIPT, TEMPLATE, FORMULA, ATTRIBUTE)
ESCAPED_SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt;"


def signed_in_as(user) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def assert_shown_escaped(response, *, expect_script: bool = True) -> str:
    """The page answers 200 and holds the typed text as text only."""
    assert response.status_code == 200
    body = response.content.decode()
    assert SCRIPT not in body
    assert "<script>alert" not in body
    assert 'onfocus="alert(1)' not in body
    assert "autofocus onfocus" not in body or "&quot; autofocus onfocus=&quot;" in body
    if expect_script:
        assert ESCAPED_SCRIPT in body
    return body


# --- searches and filters ------------------------------------------------------------------------


@pytest.mark.parametrize("text", INJECTIONS)
def test_the_directory_search_takes_any_text_and_shows_it_escaped(world, text):
    browser = signed_in_as(world["users"][ORGANISER])
    before = Participant.objects.count()
    response = browser.get(reverse("participants:participant_list"), {"q": text})
    assert_shown_escaped(response, expect_script=text == SCRIPT)
    assert Participant.objects.count() == before
    assert response.context["form"]["q"].value() == text


@pytest.mark.parametrize("text", INJECTIONS)
def test_the_session_filters_take_any_text_and_show_it_escaped(world, text):
    browser = signed_in_as(world["users"][ADMINISTRATOR])
    before = Session.objects.count()
    query = {"q": text, "status": text, "course": text, "region": text, "year": text}
    response = browser.get(reverse("trainings:session_list"), query)
    assert_shown_escaped(response, expect_script=text == SCRIPT)
    assert Session.objects.count() == before


@pytest.mark.parametrize("text", INJECTIONS)
def test_the_register_pages_search_takes_any_text(world, text):
    browser = signed_in_as(world["users"][ORGANISER])
    code = world["session"].code
    page = browser.get(reverse("trainings:enrolment_add", args=[code]), {"q": text})
    assert_shown_escaped(page, expect_script=text == SCRIPT)
    partial = browser.get(
        reverse("trainings:enrolment_search", args=[code]), {"q": text}, HTTP_HX_REQUEST="true"
    )
    assert partial.status_code == 200
    assert SCRIPT not in partial.content.decode()


def test_the_template_text_is_not_evaluated(world):
    browser = signed_in_as(world["users"][ORGANISER])
    body = browser.get(reverse("participants:participant_list"), {"q": "{{7*7}}"}).content
    assert b"{{7*7}}" in body


# --- names through the public form ---------------------------------------------------------------


@pytest.fixture
def registered(world, settings):
    """A person registered through the public form with an injection string in every name."""
    settings.BILIM_REGISTER_MIN_SECONDS = 0
    cache.clear()
    form = {
        "last_name": SCRIPT,
        "first_name": DROP,
        "middle_name": TEMPLATE,
        "gender": "female",
        "birth_year": "1988",
        "agency_name": FORMULA,
        "agency_type": str(agency_type("Ministry").pk),
        "position": ATTRIBUTE,
        "region": str(region("Osh").pk),
        "email": "injected@example.kg",
        "disability": "no",
        "consent": "on",
        "website": "",
        "stamp": form_stamp(),
    }
    url = reverse("trainings:register", args=[world["session"].registration_token])
    response = Client().post(url, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    cache.clear()
    return Participant.objects.get(email="injected@example.kg")


def test_names_from_the_public_form_are_stored_as_typed(registered):
    assert registered.last_name == SCRIPT
    assert registered.first_name == DROP
    assert registered.middle_name == TEMPLATE
    assert registered.agency.name == FORMULA
    assert registered.position == ATTRIBUTE
    assert Participant.objects.count() >= 2  # the table is still there


def pages_showing(world, person) -> list[tuple[str, str]]:
    session = world["session"]
    second = world["second"]
    return [
        (ORGANISER, reverse("participants:participant_list")),
        (ORGANISER, reverse("participants:participant_list") + "?q=script"),
        (ORGANISER, reverse("participants:participant_detail", args=[person.pk])),
        (ORGANISER, reverse("participants:participant_merge") + f"?a={person.pk}&b={second.pk}"),
        (ORGANISER, reverse("trainings:session_detail", args=[session.code])),
        (ORGANISER, reverse("trainings:enrolment_add", args=[session.code]) + "?q=script"),
        (OWN_TRAINER, reverse("trainings:attendance_grid", args=[session.code])),
        (OWN_TRAINER, reverse("trainings:score_grid", args=[session.code])),
    ]


def test_names_from_the_public_form_are_shown_escaped_on_every_page(world, registered):
    for visitor, url in pages_showing(world, registered):
        response = signed_in_as(world["users"][visitor]).get(url)
        body = assert_shown_escaped(response)
        assert "{{7*7}}" in body or "{{7*7}}" not in registered.full_name, url


def test_a_grid_cell_answer_shows_the_name_escaped(world, registered):
    browser = signed_in_as(world["users"][OWN_TRAINER])
    enrolment = Enrolment.objects.get(participant=registered)
    response = browser.post(
        reverse("trainings:score_save", args=[world["session"].code]),
        {"enrolment": enrolment.pk, "field": "pre", "was": "", "value": "50"},
    )
    assert_shown_escaped(response)


# --- exports -------------------------------------------------------------------------------------


def test_the_workbook_writes_every_typed_text_as_text_not_a_formula(world, registered):
    browser = signed_in_as(world["users"][ORGANISER])
    response = browser.get(reverse("reports:workbook"))
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    found = {}
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.value in (SCRIPT, DROP, TEMPLATE, FORMULA, ATTRIBUTE):
                    found[cell.value] = cell.data_type
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
    # Names are in the Data sheet (not pseudonymized); the agency is written as typed, as text.
    assert found.get(FORMULA) == "s"
    assert found.get(SCRIPT) == "s"
    assert set(found.values()) == {"s"}


def test_the_csv_quotes_formula_like_text(world, registered):
    browser = signed_in_as(world["users"][ORGANISER])
    response = browser.get(reverse("reports:data_csv"))
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    assert "'" + FORMULA in cells
    assert FORMULA not in cells
    assert not any(cell.startswith(("=", "+", "@")) for cell in cells)


# --- names through a roster import ---------------------------------------------------------------


def roster_csv(agency: str = "Prosecutor General") -> bytes:
    rows = [
        ["last_name", "first_name", "middle_name", "gender", "birth_year", "agency", "agency_type"],
        [SCRIPT, DROP, TEMPLATE, "f", "1990", "Prosecutor General", "Prosecutor"],
        ["Osmonov", "Nurlan", ATTRIBUTE, "m", "1982", agency, "Prosecutor"],
    ]
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("utf-8")


def test_a_roster_import_stores_names_as_typed_and_previews_them_escaped(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    browser = signed_in_as(world["users"][ORGANISER])
    url = reverse("trainings:roster_upload", args=[world["session"].code])
    preview = browser.post(url, {"file": ContentFile(roster_csv(), name="roster.csv")})
    assert_shown_escaped(preview)
    browser.post(url, {"token": preview.context["token"], "confirm": "1"})
    person = Participant.objects.get(first_name=DROP)
    assert (person.last_name, person.middle_name) == (SCRIPT, TEMPLATE)
    assert Participant.objects.get(last_name="Osmonov").middle_name == ATTRIBUTE
    detail = browser.get(reverse("participants:participant_detail", args=[person.pk]))
    assert_shown_escaped(detail)


def test_a_roster_with_formula_like_text_is_refused_with_a_clear_error(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    browser = signed_in_as(world["users"][ORGANISER])
    url = reverse("trainings:roster_upload", args=[world["session"].code])
    before = Participant.objects.count()
    preview = browser.post(url, {"file": ContentFile(roster_csv(FORMULA), name="roster.csv")})
    assert preview.status_code == 200
    assert preview.context.get("token") is None
    problems = [p.message for p in preview.context["problems"]]
    assert any("formula" in message for message in problems), problems
    assert Participant.objects.count() == before
