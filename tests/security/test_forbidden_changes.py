"""Changes posted with a complete, valid form by people whose role may not make them.

tests/test_url_permissions.py posts empty forms; here each changing page gets a form that does
change something when its rule admits the sender (the control, posted last), and the very same
form from every signed-in visitor the rule does not admit (a person without a role, another
trainer, an M&E officer, and the own trainer on planners' pages) is refused (403 or 404) and
leaves every table as it was.
"""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from tests.security.common import (
    ACCESS,
    ANONYMOUS,
    ORGANISER,
    OWN_TRAINER,
    VISITORS,
    changed_tables,
    database_state,
)

pytestmark = pytest.mark.django_db


def valid_post(name: str, world) -> tuple[str, dict]:
    """The URL and a form that changes session A (or its people) when an admitted role sends it."""
    session, enrolment, second = world["session"], world["enrolment"], world["second"]
    day = session.days.order_by("date").first()
    code = session.code
    forms = {
        "trainings:attendance_mark": (
            [code],
            {"enrolment": enrolment.pk, "day": day.pk, "was": "false"},
        ),
        "trainings:attendance_day_present": ([code], {"day": day.pk, "absent": str(enrolment.pk)}),
        "trainings:score_save": (
            [code],
            {"enrolment": enrolment.pk, "field": "pre", "was": "", "value": "55"},
        ),
        "trainings:enrolment_status": ([code, enrolment.pk], {"status": "withdrawn"}),
        "trainings:enrolment_add": ([code], {"participant": second.pk}),
        "trainings:session_cancel": ([code], {}),
        "trainings:registration_manage": ([code], {"action": "close"}),
        "trainings:session_copy": (
            [code],
            {"code": "COPY-2099-01", "start_date": (session.start_date + dt.timedelta(days=60))},
        ),
        "participants:participant_merge": (
            [],
            {"a": enrolment.participant_id, "b": second.pk, "keep": enrolment.participant_id},
        ),
    }
    args, data = forms[name]
    return reverse(name, args=args), data


NAMES = (
    "trainings:attendance_mark",
    "trainings:attendance_day_present",
    "trainings:score_save",
    "trainings:enrolment_status",
    "trainings:enrolment_add",
    "trainings:session_cancel",
    "trainings:registration_manage",
    "trainings:session_copy",
    "participants:participant_merge",
)


@pytest.mark.parametrize("name", NAMES)
def test_a_valid_change_from_a_role_not_admitted_is_refused_and_changes_nothing(world, name):
    url, data = valid_post(name, world)
    rule = ACCESS[name]
    refused = [v for v in VISITORS if v != ANONYMOUS and v not in rule.post]
    assert refused, name
    problems = []
    for visitor in refused:
        browser = Client()
        browser.force_login(world["users"][visitor])
        before = database_state()
        response = browser.post(url, data)
        said = f"POST {url} as {visitor}: {response.status_code}"
        if response.status_code not in (403, 404):
            problems.append(f"not refused: {said}")
        elif changed := changed_tables(before):
            problems.append(f"changed {changed}: {said}")
    assert problems == []

    # The control: the same form from an admitted role changes something.
    admitted = OWN_TRAINER if OWN_TRAINER in rule.post else ORGANISER
    browser = Client()
    browser.force_login(world["users"][admitted])
    before = database_state()
    response = browser.post(url, data)
    assert response.status_code in (200, 302), (admitted, response.status_code)
    assert changed_tables(before), f"{url} as {admitted} changed nothing: not a valid form"
