"""The admin, as a trainer with staff access: another trainer's session is not theirs there either.

Trainers may be staff: the admin offers them the results import (tests/test_admin.py), and
the demo's accounts are all staff. Their role's model permissions (trainings/roles.py) are not
narrowed to their own sessions there, so a staff trainer reads every participant and every
session's enrolments and attendance, and may change enrolments of sessions they do not teach.
The Bilim pages narrow trainers to their sessions (404 for others').

Decided: a trainer alone is kept out of the admin (trainings.permissions.admin_has_permission);
they enter attendance, scores and results on their own pages.
"""

import pytest
from django.test import Client

from tests.factories import EnrolmentFactory, attend
from tests.security.common import OWN_TRAINER
from trainings.models import Session

pytestmark = pytest.mark.django_db


def test_a_staff_trainer_does_not_reach_another_trainers_session_in_the_admin(world):
    trainer = world["users"][OWN_TRAINER]
    trainer.is_staff = True
    trainer.save()
    browser = Client()
    browser.force_login(trainer)
    theirs = Session.objects.exclude(pk=world["session"].pk).get()
    enrolment = EnrolmentFactory(session=theirs)
    attend(enrolment, 1)
    name = enrolment.participant.last_name.encode()
    pages = [
        "/admin/participants/participant/",
        "/admin/trainings/enrolment/",
        "/admin/trainings/attendance/",
    ]
    leaks = [url for url in pages if name in browser.get(url).content]
    change = browser.get(f"/admin/trainings/enrolment/{enrolment.pk}/change/")
    person = browser.get(f"/admin/participants/participant/{enrolment.participant_id}/change/")
    assert leaks == []
    assert change.status_code in (302, 403, 404)
    assert person.status_code in (302, 403, 404)
