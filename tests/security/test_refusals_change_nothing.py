"""The URL walk again, with every table compared: a refused request writes nothing anywhere.

tests/test_url_permissions.py requests every named URL with GET and POST as each of the seven
visitors (anonymous, no role, organiser, own trainer, other trainer, M&E officer,
administrator) and checks who is refused; its fingerprint covers sessions, enrolments,
attendance, participants and certificates. Here the same walk compares every row of every app
table (history, jobs, days, merges, the task queue) and the users, before and after each
refused request.
"""

import pytest

from tests import test_url_permissions as walk
from tests.security.common import database_state

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name", sorted(walk.ACCESS))
def test_a_refused_request_changes_no_table(client, world, name, monkeypatch):
    monkeypatch.setattr(walk, "fingerprint", database_state)
    problems = [
        problem
        for visitor in walk.VISITORS
        for method in ("get", "post")
        if (problem := walk.answer_problem(client, world, name, visitor, method))
    ]
    assert problems == []
