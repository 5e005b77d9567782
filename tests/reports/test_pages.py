"""The statistics page against a hand-computed data set: figures, filters, errors, queries, access.

The data set (sessions in 2025-Q4, 2026-Q1 and 2026-Q2):

| person | gender, agency type, region | PT-A (2026-03-02, 3 days, /100) | UPR-B (2026-05-04, 2 days, /20) | PT-C (2025-10-06, 2 days, /100) |
|---|---|---|---|---|
| Aigul | female, Police, Chui | 40 → 70, 3/3 present, certificate | 10 → 15, 2/2, certificate | |
| Nurlan | male, Police, Osh | 50 → 50, 2/3, revoked certificate | | |
| Elena | female, Ministry, no region | 60 → (none), 3/3 | withdrawn | |
| John | male, Court, Chui | | | 30 → 60, 1/2 |

John's enrolment in a cancelled UPR session counts nowhere. By hand: 3 sessions, 5 participations,
4 participants; women 2 of 4 (50 %); attendance 11 of 13 person-days; pairs 4 (40→70, 50→50,
50 %→75 %, 30→60): pre mean 42.5 %, post mean 63.75 %, mean gain 21.25 points, improved 3 of 4,
normalized gain 21.25 / 57.5; 2 certificates.
"""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from participants.models import Region
from reports import stats
from reports.forms import StatisticsFilterForm
from reports.models import Programme, Target
from tests.factories import (
    AgencyFactory,
    CertificateFactory,
    CourseFactory,
    EnrolmentFactory,
    ParticipantFactory,
    SessionFactory,
    UserFactory,
    agency_type,
    attend,
    gender,
    region,
)
from trainings.models import Enrolment, Session

pytestmark = pytest.mark.django_db

URL = reverse("reports:statistics")


def person(sex, region_name, type_name, **kwargs):
    return ParticipantFactory(
        gender=gender(sex),
        region=region(region_name) if region_name else None,
        agency=AgencyFactory(type=agency_type(type_name)),
        **kwargs,
    )


def enrol(session, participant, pre=None, post=None, present=None, **kwargs):
    enrolment = EnrolmentFactory(
        session=session,
        participant=participant,
        pre_score=None if pre is None else Decimal(pre),
        post_score=None if post is None else Decimal(post),
        **kwargs,
    )
    if present is not None:
        attend(enrolment, present)
    return enrolment


@pytest.fixture
def world():
    pt = CourseFactory(code="PT", title="Prevention of torture")
    upr = CourseFactory(code="UPR", title="UN human rights mechanisms")
    a = SessionFactory(code="PT-A", course=pt, start_date=dt.date(2026, 3, 2))
    b = SessionFactory(
        code="UPR-B",
        course=upr,
        start_date=dt.date(2026, 5, 4),
        end_date=dt.date(2026, 5, 5),
        max_score=Decimal(20),
    )
    c = SessionFactory(
        code="PT-C", course=pt, start_date=dt.date(2025, 10, 6), end_date=dt.date(2025, 10, 7)
    )
    cancelled = SessionFactory(
        code="UPR-X", course=upr, start_date=dt.date(2026, 6, 1), status=Session.Status.CANCELLED
    )
    aigul = person("female", "Chui", "Police", last_name="Osmonova")
    nurlan = person("male", "Osh", "Police", last_name="Toktogulov")
    elena = person("female", None, "Ministry", last_name="Kovaleva")
    john = person("male", "Chui", "Court", last_name="Smith")
    CertificateFactory(enrolment=enrol(a, aigul, 40, 70, present=3))
    CertificateFactory(
        enrolment=enrol(a, nurlan, 50, 50, present=2), revoked=True, revoked_on=dt.date(2026, 4, 1)
    )
    enrol(a, elena, 60, None, present=3)
    CertificateFactory(enrolment=enrol(b, aigul, 10, 15, present=2))
    enrol(b, elena, status=Enrolment.Status.WITHDRAWN)
    enrol(c, john, 30, 60, present=1)
    enrol(cancelled, john, 50, 90, present=3)
    return {"a": a, "b": b, "c": c, "aigul": aigul, "john": john}


@pytest.fixture
def me_client(client):
    from django.contrib.auth.models import Group

    user = UserFactory(username="mne")
    user.groups.add(Group.objects.get(name="M&E officer"))
    client.force_login(user)
    return client


def stat(html: str, name: str) -> str:
    """The big number of a headline card."""
    found = re.search(rf'id="stat-{name}"><dt>[^<]*</dt><dd>(.*?)</dd>', html)
    assert found, name
    return found.group(1).replace("&nbsp;", " ")


def breakdown(response, slug):
    return next(b for b in response.context["breakdowns"] if b.slug == slug)


def counts(response, slug):
    return {
        line.key: (line.participants, line.participations)
        for line in breakdown(response, slug).lines
    }


def test_page_shows_the_hand_computed_figures(me_client, world):
    response = me_client.get(URL)
    assert response.status_code == 200
    context = response.context
    assert (context["totals"].sessions, context["totals"].participations) == (3, 5)
    assert context["totals"].participants == 4
    assert context["women"] == 2 and context["women_percent"] == pytest.approx(50.0)
    assert (context["attendance"].present_days, context["attendance"].scheduled_days) == (11, 13)
    assert context["attendance_percent"] == pytest.approx(100 * 11 / 13)
    assessment = context["assessment"]
    assert assessment.pairs == 4
    assert assessment.pre_mean == pytest.approx(42.5)
    assert assessment.post_mean == pytest.approx(63.75)
    assert assessment.mean_gain == pytest.approx(21.25)
    assert assessment.improved_share == pytest.approx(0.75)
    assert assessment.normalized_gain == pytest.approx(21.25 / 57.5)
    assert context["certificates"] == 2

    html = response.content.decode()
    assert stat(html, "participants") == "4"
    assert stat(html, "participations") == "5"
    assert stat(html, "sessions") == "3"
    assert stat(html, "women") == "50.0 %"
    assert stat(html, "attendance") == "84.6 %"
    assert stat(html, "gain") == "+21.3"
    assert stat(html, "improved") == "75.0 %"
    assert stat(html, "certificates") == "2"
    assert "No filters:" in html


def test_every_breakdown_shows_both_counts_and_the_right_totals(me_client, world):
    response = me_client.get(URL)
    assert counts(response, "gender") == {
        "female": (2, 3),
        "male": (2, 2),
        "other": (0, 0),
        "undisclosed": (0, 0),
    }
    assert counts(response, "agency-type") == {
        "Police": (2, 3),
        "Ministry": (1, 1),
        "Court": (1, 1),
    }
    assert counts(response, "region") == {"Chui": (2, 3), "Osh": (1, 1), stats.UNKNOWN: (1, 1)}
    assert counts(response, "course") == {"PT": (4, 4), "UPR": (1, 1)}
    assert counts(response, "session") == {"PT-C": (1, 1), "PT-A": (3, 3), "UPR-B": (1, 1)}
    assert counts(response, "quarter") == {
        "2025-10-01": (1, 1),
        "2026-01-01": (3, 3),
        "2026-04-01": (1, 1),
    }
    gender_table = breakdown(response, "gender")
    assert gender_table.adds_up and (gender_table.participants, gender_table.participations) == (
        4,
        5,
    )
    assert [line.percent for line in gender_table.lines] == [50.0, 50.0, 0.0, 0.0]
    course_table = breakdown(response, "course")
    # Course participants sum to 5, the distinct total is 4: the page says why, not a sum.
    assert not course_table.adds_up and course_table.participants == 4
    html = response.content.decode()
    assert "participants may not add up to the total" in html
    assert "Region not recorded" in html


def test_cross_table_and_results_per_course_and_session(me_client, world):
    response = me_client.get(URL)
    people, enrolments = (t["data"] for t in response.context["cross_tables"])
    assert people.columns == ["Female", "Male", "Other", "Undisclosed"]
    assert {label: values for label, values, _total in people.rows} == {
        "Police": [1, 1, 0, 0],
        "Ministry": [1, 0, 0, 0],
        "Court": [0, 1, 0, 0],
    }
    assert people.totals == [2, 2, 0, 0] and people.total == 4
    assert {label: total for label, _values, total in enrolments.rows} == {
        "Police": 3,
        "Ministry": 1,
        "Court": 1,
    }
    assert enrolments.total == 5

    per_course = {row["key"]: row for row in response.context["per_course"]}
    assert per_course["PT"]["assessment"].pairs == 3
    assert per_course["PT"]["assessment"].mean_gain == pytest.approx((70 + 50 + 60 - 120) / 3)
    assert per_course["UPR"]["assessment"].pre_mean == pytest.approx(50.0)
    assert per_course["UPR"]["attendance_percent"] == pytest.approx(100.0)
    per_session = {row["key"]: row for row in response.context["per_session"]}
    assert per_session["PT-A"]["attendance"].present_days == 8
    assert per_session["PT-A"]["attendance"].scheduled_days == 9
    assert per_session["PT-A"]["improved_percent"] == pytest.approx(50.0)
    assert per_session["PT-C"]["assessment"].mean_gain == pytest.approx(30.0)


@pytest.mark.parametrize(
    ("params", "participants", "participations"),
    [
        ({"course": "PT"}, 4, 4),
        ({"date_from": "2026-01-01"}, 3, 4),
        ({"date_to": "2025-12-31"}, 1, 1),
        ({"gender": "female"}, 2, 3),
        ({"region": "Chui"}, 2, 3),
        ({"agency_type": "Police"}, 2, 3),
        ({"programme": "ROL"}, 3, 3),
    ],
)
def test_each_filter_narrows_the_figures(me_client, world, params, participants, participations):
    programme = Programme.objects.create(code="ROL", name="Rule of law")
    programme.sessions.add(world["a"])
    query = dict(params)
    if "region" in query:
        query["region"] = region(query["region"]).pk
    if "agency_type" in query:
        query["agency_type"] = agency_type(query["agency_type"]).pk
    response = me_client.get(URL, query)
    assert response.status_code == 200
    assert not response.context["form"].errors
    totals = response.context["totals"]
    assert (totals.participants, totals.participations) == (participants, participations)
    assert "Filters in force:" in response.content.decode()


def test_the_issues_question_is_answered_on_the_page(me_client, world):
    """Women from the police trained in prevention of torture in 2026, and their scores."""
    response = me_client.get(
        URL,
        {
            "gender": "female",
            "agency_type": agency_type("Police").pk,
            "course": "PT",
            "date_from": "2026-01-01",
            "date_to": "2026-12-31",
        },
    )
    html = response.content.decode()
    assert stat(html, "participants") == "1"
    assert stat(html, "gain") == "+30.0"
    assert stat(html, "improved") == "100.0 %"
    assert "1 participant was trained (participations: 1)." in html
    assert "mean gain 30.0 percentage points" in html
    for label in ("Course: PT: Prevention of torture", "Gender: Female", "Agency type: Police"):
        assert label in html
    # The downloads carry the same filters.
    assert '<input type="hidden" name="course" value="PT">' in html
    assert '<input type="hidden" name="date_from" value="2026-01-01">' in html


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"date_from": "2026-13-45", "gender": "female"}, "date_from"),
        ({"gender": "nobody", "course": "PT"}, "gender"),
        ({"course": "NOPE"}, "course"),
        ({"region": "999999"}, "region"),
        ({"date_from": "2026-06-01", "date_to": "2026-01-01"}, "date_to"),
        ({"agency_type": "police"}, "agency_type"),
    ],
)
def test_an_invalid_filter_is_shown_on_its_field_and_the_rest_still_counts(
    me_client, world, params, field
):
    response = me_client.get(URL, params)
    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.errors) == [field]
    html = response.content.decode()
    assert "Some filters were not understood" in html
    # The message is tied to its field, for screen readers too.
    assert f'aria-describedby="id_{field}_error"' in html
    assert f'<div class="field__error" id="id_{field}_error">' in html
    # The valid filters still apply; the invalid one is left out of the figures and downloads.
    valid = {k: v for k, v in params.items() if k != field}
    expected = StatisticsFilterForm(valid)
    assert expected.is_valid()
    assert response.context["totals"] == stats.headline(expected.filters())
    assert (
        f'name="{field}" value=' not in html.split('class="card downloads"')[1].split("</form>")[0]
    )


def test_achieved_against_target_when_a_programme_is_selected(me_client, world):
    programme = Programme.objects.create(code="ROL", name="Rule of law")
    programme.sessions.add(world["a"], world["b"])
    Target.objects.create(programme=programme, indicator="participants", value=6)
    Target.objects.create(programme=programme, indicator="women_share", value=Decimal("0.5"))
    response = me_client.get(URL, {"programme": "ROL"})
    items = response.context["achievements"]
    assert [item["row"].indicator for item in items] == ["participants", "women_share"]
    assert items[0]["row"].achieved == 3 and items[0]["meter"] == pytest.approx(0.5)
    # Aigul and Elena of 3 people: 66.7 % of women against a target of 50 %, above the target.
    assert items[1]["achieved_percent"] == pytest.approx(200 / 3)
    assert items[1]["meter"] == 1.0
    html = response.content.decode()
    assert "Achieved against target: Rule of law" in html
    assert '<progress max="1" value="0.5000"' in html
    assert "133 % of the target" in html
    assert "Achieved against target" not in me_client.get(URL).content.decode()


def test_a_region_with_markup_is_escaped_in_tables_and_charts(me_client, world):
    evil = Region.objects.create(name='<script>alert("x")</script>')
    person_ = ParticipantFactory(region=evil)
    EnrolmentFactory(session=world["a"], participant=person_)
    html = me_client.get(URL).content.decode()
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


def test_empty_scope_says_so(me_client, world):
    response = me_client.get(URL, {"date_from": "2030-01-01"})
    assert response.status_code == 200
    assert "No participations match these filters" in response.content.decode()


def _participations(n: int) -> None:
    course = CourseFactory(code="PT")
    sessions = [
        SessionFactory(course=course, start_date=dt.date(2026, 1 + i % 12, 1)) for i in range(3)
    ]
    for i in range(n):
        enrolment = enrol(
            sessions[i % 3],
            person(("female", "male")[i % 2], ("Chui", "Osh", None)[i % 3], "Police"),
            40 + i % 10,
            60 + i % 20,
            present=i % 4,
        )
        if i % 2:
            CertificateFactory(enrolment=enrolment)
    programme = Programme.objects.create(code="ROL", name="Rule of law")
    programme.sessions.add(*sessions)
    Target.objects.create(programme=programme, indicator="participants", value=10)


# Sign-in and roles, the form's lookups and its five lists of choices, about twenty grouped
# statistics queries, and the programme's targets (one period): 32 with every filter, fewer without.
QUERY_BOUND = 32


@pytest.mark.parametrize("n", [1, 30])
@pytest.mark.parametrize("filtered", [False, True])
def test_query_count_does_not_grow_with_the_data(
    me_client, django_assert_max_num_queries, n, filtered
):
    _participations(n)
    params = {"programme": "ROL", "course": "PT", "gender": "female"} if filtered else {}
    with django_assert_max_num_queries(QUERY_BOUND):
        response = me_client.get(URL, params)
    assert response.status_code == 200
    assert response.context["totals"].participations == (n if not filtered else (n + 1) // 2)


def test_query_count_is_the_same_for_1_and_30_participations(me_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _participations(1)
    with CaptureQueriesContext(connection) as one:
        me_client.get(URL, {"programme": "ROL"})
    _participations_more = 29
    course = CourseFactory(code="PT")
    session = SessionFactory(course=course, start_date=dt.date(2026, 2, 2))
    Programme.objects.get(code="ROL").sessions.add(session)
    for _ in range(_participations_more):
        enrol(session, person("female", "Osh", "Court"), 50, 70, present=2)
    with CaptureQueriesContext(connection) as thirty:
        response = me_client.get(URL, {"programme": "ROL"})
    assert response.context["totals"].participations == 30
    assert len(thirty) == len(one)


def test_trainer_is_refused_and_anonymous_is_sent_to_sign_in(client, world):
    from django.contrib.auth.models import Group

    assert client.get(URL).status_code == 302
    assert reverse("login") in client.get(URL)["Location"]
    trainer = UserFactory(username="trainer1")
    trainer.groups.add(Group.objects.get(name="Trainer"))
    client.force_login(trainer)
    assert client.get(URL).status_code == 403


@pytest.mark.parametrize("role", ["Organiser", "Administrator"])
def test_organisers_and_administrators_read_the_page(client, world, role):
    from django.contrib.auth.models import Group

    user = UserFactory(username=f"u-{role}")
    user.groups.add(Group.objects.get(name=role))
    client.force_login(user)
    assert client.get(URL).status_code == 200


def test_page_agrees_with_the_json_of_manage_py_stats(me_client, world):
    response = me_client.get(URL, {"course": "PT"})
    summary = stats.summary(stats.Filters(course="PT"))
    totals = response.context["totals"]
    assert (totals.sessions, totals.participants, totals.participations) == (
        summary["sessions"],
        summary["participants"],
        summary["participations"],
    )
    for slug, key in [
        ("gender", "by_gender"),
        ("agency-type", "by_agency_type"),
        ("region", "by_region"),
        ("course", "by_course"),
    ]:
        assert {
            k: {"participants": p, "participations": n}
            for k, (p, n) in counts(response, slug).items()
        } == summary[key]
    assert response.context["attendance"].rate == summary["attendance_rate"]
    assert response.context["assessment"].as_dict() == summary["assessment"]
    assert response.context["certificates"] == summary["certificates"]


def test_per_session_tables_show_the_most_recent_sessions_and_say_so(me_client, world, monkeypatch):
    monkeypatch.setattr("reports.views.SESSIONS_SHOWN", 2)
    response = me_client.get("/reports/")
    shown = [line.key for line in breakdown(response, "session").lines]
    assert shown == ["PT-A", "UPR-B"]  # PT-C (October 2025) is the oldest of the three
    assert [row["key"] for row in response.context["per_session"]] == shown
    html = response.content.decode()
    assert "The 2 most recent of 3 sessions are shown" in html
    # The totals still count every session's participants and participations.
    assert (
        breakdown(response, "session").participations == response.context["totals"].participations
    )
