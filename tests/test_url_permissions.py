"""Walk the whole URL configuration with every role: nobody reaches what their role does not allow.

Every named URL outside the admin must be listed in ACCESS; a new page without an entry fails
``test_every_url_has_an_access_rule``. Each URL is requested with GET and with POST by an
anonymous visitor, a signed-in person without a role, an organiser, the session's own trainer,
another trainer, an M&E officer and an administrator:

- anonymous visitors are sent to the sign-in page (public pages excepted);
- a role the page does not admit gets 403; another trainer's session answers 404 (its existence
  is not confirmed) or 403 where trainers have no access at all;
- a refused request changes nothing in the database;
- an admitted request is not refused (whatever else it answers to an empty form).
"""

import datetime as dt
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.contrib.auth.models import Group
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from certificates.models import Certificate
from participants.models import Participant
from tests.factories import (
    CertificateFactory,
    EnrolmentFactory,
    ParticipantFactory,
    SessionFactory,
    UserFactory,
)
from trainings import roles
from trainings.models import Attendance, Course, Enrolment, Session

pytestmark = pytest.mark.django_db

ANONYMOUS = "anonymous"
NO_ROLE = "no role"
ORGANISER = "organiser"
OWN_TRAINER = "own trainer"
OTHER_TRAINER = "other trainer"
ME = "M&E officer"
ADMINISTRATOR = "administrator"
VISITORS = (ANONYMOUS, NO_ROLE, ORGANISER, OWN_TRAINER, OTHER_TRAINER, ME, ADMINISTRATOR)
SIGNED_IN = frozenset(VISITORS) - {ANONYMOUS}
PLANNERS = frozenset({ORGANISER, ADMINISTRATOR})
READERS = PLANNERS | {ME}
EVERY_ROLE = READERS | {OWN_TRAINER, OTHER_TRAINER}


@dataclass(frozen=True)
class Rule:
    """Who may GET and who may POST; ``session`` marks pages of one session (others' -> 404)."""

    get: frozenset[str]
    post: frozenset[str]
    session: bool = False


PUBLIC = Rule(frozenset(VISITORS), frozenset(VISITORS))


def rule(get, post=None, session=False) -> Rule:
    get = frozenset(get)
    return Rule(get, frozenset(get if post is None else post), session)


# A session's pages: everyone with a role reads their own (trainers only theirs); changing needs
# an organiser, an administrator or the session's own trainer. M&E officers never change.
SESSION_READ = rule(EVERY_ROLE - {OTHER_TRAINER}, PLANNERS | {OWN_TRAINER}, session=True)
SESSION_CHANGE = rule(PLANNERS | {OWN_TRAINER}, session=True)
SESSION_PLANNERS = rule(PLANNERS, session=True)

ACCESS: dict[str, Rule] = {
    # sign-in, languages, certificate checks, public registration
    "login": PUBLIC,
    "login_code": PUBLIC,
    "two_factor": rule({ADMINISTRATOR}),
    "logout": PUBLIC,
    "set_language": PUBLIC,
    "certificates:verify_lookup": PUBLIC,
    "certificates:verify": PUBLIC,
    "trainings:register": PUBLIC,
    "trainings:register_done": PUBLIC,
    # start pages
    "home": rule(SIGNED_IN - {NO_ROLE}),
    "home_organiser": rule(PLANNERS),
    "home_trainer": rule({OWN_TRAINER, OTHER_TRAINER, ADMINISTRATOR}),
    "home_me": rule({ME, ADMINISTRATOR}),
    "home_administrator": rule({ADMINISTRATOR}),
    # courses and sessions
    "trainings:course_list": rule(READERS, PLANNERS),
    "trainings:course_create": rule(PLANNERS),
    "trainings:course_edit": rule(PLANNERS),
    "trainings:session_list": rule(EVERY_ROLE, PLANNERS),
    "trainings:session_create": rule(PLANNERS),
    "trainings:session_detail": SESSION_READ,
    "trainings:session_edit": SESSION_PLANNERS,
    "trainings:session_copy": SESSION_PLANNERS,
    "trainings:session_cancel": SESSION_PLANNERS,
    "trainings:enrolment_add": SESSION_PLANNERS,
    "trainings:enrolment_search": SESSION_PLANNERS,
    "trainings:enrolment_status": SESSION_PLANNERS,
    "trainings:sign_in_sheets": SESSION_READ,
    "trainings:certificates_issue": SESSION_PLANNERS,
    "trainings:certificates_pdf": SESSION_READ,
    # the audit trail: a session's history is read like its page; nobody posts to it
    "trainings:session_history": rule(EVERY_ROLE - {OTHER_TRAINER}, frozenset(), session=True),
    # uploads
    "trainings:sessions_upload": rule(PLANNERS),
    "trainings:roster_upload": SESSION_PLANNERS,
    "trainings:results_upload": SESSION_CHANGE,
    "trainings:import_template": rule(PLANNERS | {OWN_TRAINER, OTHER_TRAINER}),
    # trainers' grids
    "trainings:attendance_grid": SESSION_READ,
    "trainings:attendance_mark": SESSION_CHANGE,
    "trainings:attendance_day_present": SESSION_CHANGE,
    "trainings:score_grid": SESSION_READ,
    "trainings:score_save": SESSION_CHANGE,
    # public registration, the organiser's side
    "trainings:registration_manage": SESSION_PLANNERS,
    "trainings:registration_qr": SESSION_PLANNERS,
    # participants
    "participants:participant_list": rule(READERS, PLANNERS),
    "participants:participant_detail": rule(READERS, PLANNERS),
    "participants:duplicate_list": rule(PLANNERS),
    "participants:participant_merge": rule(PLANNERS),
    "participants:participant_erase": rule(PLANNERS),
    "participants:participant_retention": rule(PLANNERS, frozenset()),
    # statistics and their downloads: read by organisers, M&E officers and administrators
    "reports:statistics": rule(READERS, frozenset()),
    "reports:workbook": rule(READERS, frozenset()),
    "reports:data_csv": rule(READERS, frozenset()),
    "reports:changes_after_certificates": rule(READERS, frozenset()),
    # background jobs: a job is its creator's (here the organiser's certificates batch) and the
    # administrators'; starting one needs the role of its kind
    "jobs:list": rule(READERS, frozenset()),
    "jobs:detail": rule(PLANNERS, frozenset()),
    "jobs:progress": rule(PLANNERS, frozenset()),
    "jobs:result": rule(PLANNERS, frozenset()),
    "jobs:certificates_start": SESSION_PLANNERS,
    "jobs:workbook_start": rule(READERS, frozenset()),
    "jobs:csv_start": rule(READERS, frozenset()),
}

# The admin has its own permission checks (tests/test_admin.py); media files are not pages.
SKIPPED_NAMESPACES = {"admin"}


def named_urls(resolver: URLResolver | None = None, prefix: str = "") -> dict[str, URLPattern]:
    """Return every named URL pattern as {"namespace:name": pattern}."""
    resolver = resolver or get_resolver()
    found: dict[str, URLPattern] = {}
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace in SKIPPED_NAMESPACES:
                continue
            inner = f"{prefix}{entry.namespace}:" if entry.namespace else prefix
            found.update(named_urls(entry, inner))
        elif entry.name:
            found[f"{prefix}{entry.name}"] = entry
    return found


def test_every_url_has_an_access_rule():
    assert sorted(set(named_urls()) - set(ACCESS)) == []
    assert sorted(set(ACCESS) - set(named_urls())) == []


@pytest.fixture
def world():
    """A session with its own trainer, an enrolment with a certificate, and a user per visitor."""
    users = {}
    for visitor, role in (
        (NO_ROLE, None),
        (ORGANISER, roles.ORGANISER),
        (OWN_TRAINER, roles.TRAINER),
        (OTHER_TRAINER, roles.TRAINER),
        (ME, roles.ME_OFFICER),
        (ADMINISTRATOR, roles.ADMINISTRATOR),
    ):
        user = UserFactory()
        if role:
            user.groups.add(Group.objects.get(name=role))
        users[visitor] = user
    start = timezone.localdate() + dt.timedelta(days=20)
    session = SessionFactory(
        start_date=start,
        end_date=start + dt.timedelta(days=1),
        status=Session.Status.OPEN,
        registration_open=True,
        registration_token="tok-" + "x" * 20,
    )
    session.trainers.add(users[OWN_TRAINER])
    other_session = SessionFactory()
    other_session.trainers.add(users[OTHER_TRAINER])
    enrolment = EnrolmentFactory(session=session)
    second = ParticipantFactory()
    CertificateFactory(enrolment=enrolment)
    return {"users": users, "session": session, "enrolment": enrolment, "second": second}


def organisers_job(world):
    """A finished certificates batch the organiser started (jobs are their creator's)."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from jobs.models import Job

    job = Job.objects.filter(created_by=world["users"][ORGANISER]).first()
    if job is None:
        job = Job(kind=Job.Kind.CERTIFICATES, status=Job.Status.DONE, params={"code": "X"})
        job.created_by = world["users"][ORGANISER]
        name = "jobs/url-permissions-test.pdf"
        if not default_storage.exists(name):
            default_storage.save(name, ContentFile(b"%PDF-1.7"))
        job.result.name = name
        job.save()
    return job


def url_for(name: str, pattern: URLPattern, world) -> str:
    """Fill the pattern's parameters from the world: a session code, an id, a token."""
    params = set(pattern.pattern.regex.groupindex)
    kwargs = {}
    for param in params:
        if param == "code" and name.startswith("certificates:"):
            kwargs["code"] = Certificate.objects.get().code
        elif param == "code" and name.startswith("trainings:course"):
            kwargs["code"] = world["session"].course.code
        elif param == "code":
            kwargs["code"] = world["session"].code
        elif param == "token":
            kwargs["token"] = world["session"].registration_token
        elif param == "kind":
            kwargs["kind"] = "roster"
        elif param == "pk" and name.startswith("jobs:"):
            kwargs["pk"] = organisers_job(world).pk
        elif param == "pk" and name.startswith("trainings:enrolment"):
            kwargs["pk"] = world["enrolment"].pk
        elif param == "pk":
            kwargs["pk"] = world["enrolment"].participant_id
        else:
            raise AssertionError(f"{name}: no value for the URL parameter {param!r}")
    url = reverse(name, kwargs=kwargs)
    if name == "participants:participant_merge":
        url += f"?a={world['enrolment'].participant_id}&b={world['second'].pk}"
    return url


def fingerprint() -> tuple:
    """What a refused request must not change."""
    session_state = tuple(
        Session.objects.order_by("pk").values_list(
            "pk", "status", "registration_open", "capacity", "updated_at"
        )
    )
    enrolment_state = tuple(
        Enrolment.objects.order_by("pk").values_list(
            "pk", "status", "pre_score", "post_score", "participant_id"
        )
    )
    return (
        Course.objects.count(),
        session_state,
        enrolment_state,
        tuple(Attendance.objects.order_by("pk").values_list("pk", "present")),
        tuple(Participant.objects.order_by("pk").values_list("pk", "updated_at")),
        tuple(Certificate.objects.order_by("pk").values_list("pk", "revoked")),
    )


def refused(response, visitor: str, rule_: Rule, method: str) -> bool:
    if visitor == ANONYMOUS:
        return response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    # 405: the page takes no POST at all (read-only pages), which refuses as surely as 403.
    expected = {403, 405} if method == "post" else {403}
    if rule_.session and visitor == OTHER_TRAINER:
        # Trainers may use the page, but not for this session: it answers as if it did not exist.
        trainer_may = OWN_TRAINER in rule_.get | rule_.post
        expected = {404} if trainer_may else expected | {404}
    return response.status_code in expected


def admitted(response) -> bool:
    login = response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    return response.status_code not in (401, 403, 404) and not login


def answer_problem(client, world, name: str, visitor: str, method: str) -> str | None:
    """Request the URL as the visitor; describe what is wrong with the answer, or None."""
    client.logout()
    url = url_for(name, named_urls()[name], world)
    if visitor != ANONYMOUS:
        client.force_login(world["users"][visitor])
    rule_ = ACCESS[name]
    allowed = visitor in (rule_.get if method == "get" else rule_.post)
    before = fingerprint()
    # A POST carries the query's values as form data too (the merge page posts the two ids).
    data = dict(parse_qsl(urlsplit(url).query)) if method == "post" else {}
    response = getattr(client, method)(url, data)
    said = f"{method.upper()} {url} as {visitor}: {response.status_code} {response.get('Location', '')}"
    if name == "logout":
        # Signing out (or trying to, signed out) always ends on the sign-in page.
        location = response.get("Location", "")
        if response.status_code != 405 and not location.startswith("/accounts/login/"):
            return said
        return None
    if allowed:
        return None if admitted(response) else f"refused: {said}"
    if not refused(response, visitor, rule_, method):
        return f"not refused: {said}"
    if fingerprint() != before:
        return f"changed data although refused: {said}"
    return None


@pytest.mark.parametrize("name", sorted(ACCESS))
def test_url_answers_each_visitor_as_its_rule_says(client, world, name):
    problems = [
        problem
        for visitor in VISITORS
        for method in ("get", "post")
        if (problem := answer_problem(client, world, name, visitor, method))
    ]
    assert problems == []
