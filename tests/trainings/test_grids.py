"""The trainers' grids: attendance and scores saved cell by cell, never over someone else's change."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from tests.factories import (
    EnrolmentFactory,
    ParticipantFactory,
    SessionFactory,
    user_in,
)
from trainings import roles
from trainings.grid_services import (
    ConflictError,
    attendance_mark,
    enrolment_score_save,
    score_parse,
)
from trainings.models import Attendance, Enrolment

pytestmark = pytest.mark.django_db

GRIDS = ["trainings:attendance_grid", "trainings:score_grid"]
CELLS = ["trainings:attendance_mark", "trainings:score_save"]


@pytest.fixture
def trainer():
    return user_in(roles.TRAINER)


@pytest.fixture
def session(trainer):
    session = SessionFactory(code="UPR-01", max_score=Decimal(80))
    session.trainers.add(trainer)
    return session


@pytest.fixture
def enrolment(session):
    return EnrolmentFactory(
        session=session,
        participant=ParticipantFactory(last_name="Osmonova", first_name="Aigul"),
    )


def url(name, session):
    return reverse(name, args=[session.code])


def mark(client, session, enrolment, day, was, present=None):
    data = {"enrolment": enrolment.pk, "day": day.pk, "was": was}
    if present is not None:
        data["present"] = present
    return client.post(
        url("trainings:attendance_mark", session), data, headers={"HX-Request": "true"}
    )


def save(client, session, enrolment, field, value, was=""):
    data = {"enrolment": enrolment.pk, "field": field, "value": value, "was": was}
    return client.post(url("trainings:score_save", session), data, headers={"HX-Request": "true"})


def stored(mark_of):
    enrolment, day = mark_of
    found = Attendance.objects.filter(enrolment=enrolment, day=day).first()
    return None if found is None else found.present


# --- who may see and change -----------------------------------------------------------------


@pytest.mark.parametrize("name", GRIDS)
def test_own_trainer_sees_the_grid(client, trainer, session, enrolment, name):
    client.force_login(trainer)
    response = client.get(url(name, session))
    assert response.status_code == 200
    assert "Osmonova Aigul" in response.content.decode()


@pytest.mark.parametrize("name", GRIDS + CELLS)
@pytest.mark.parametrize("method", ["get", "post"])
def test_another_trainers_session_is_not_found(client, session, enrolment, name, method):
    client.force_login(user_in(roles.TRAINER))
    if name in CELLS and method == "get":
        pytest.skip("cells take POST only")
    response = getattr(client, method)(url(name, session), {"enrolment": enrolment.pk})
    assert response.status_code == 404


@pytest.mark.parametrize("name", GRIDS)
def test_me_officer_reads_with_disabled_controls(client, session, enrolment, name):
    client.force_login(user_in(roles.ME_OFFICER))
    response = client.get(url(name, session))
    assert response.status_code == 200
    html = response.content.decode()
    assert "hx-post" not in html
    assert " disabled" in html
    assert reverse("trainings:results_upload", args=[session.code]) not in html


def test_me_officer_cannot_save(client, session, enrolment):
    client.force_login(user_in(roles.ME_OFFICER))
    day = session.days.first()
    assert mark(client, session, enrolment, day, "false").status_code == 403
    assert save(client, session, enrolment, "pre", "50").status_code == 403
    assert stored((enrolment, day)) is None
    enrolment.refresh_from_db()
    assert enrolment.pre_score is None


@pytest.mark.parametrize("role", [roles.ORGANISER, roles.ADMINISTRATOR])
def test_organisers_see_and_change_every_session(client, session, enrolment, role):
    client.force_login(user_in(role))
    for name in GRIDS:
        assert client.get(url(name, session)).status_code == 200
    assert mark(client, session, enrolment, session.days.first(), "false").status_code == 200


@pytest.mark.parametrize("name", GRIDS + CELLS)
def test_anonymous_is_sent_to_sign_in(client, session, name):
    response = client.get(url(name, session))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


# --- the attendance grid ----------------------------------------------------------------------


def test_attendance_grid_shows_rows_days_and_totals(client, trainer, session, enrolment):
    other = EnrolmentFactory(
        session=session, participant=ParticipantFactory(last_name="Abdyrakhmanov")
    )
    EnrolmentFactory(
        session=session,
        status=Enrolment.Status.WITHDRAWN,
        participant=ParticipantFactory(last_name="Withdrawnova"),
    )
    first_day = session.days.order_by("date").first()
    attendance_mark(enrolment=enrolment, day=first_day, present=True, expected=False)
    client.force_login(trainer)

    response = client.get(url("trainings:attendance_grid", session))

    html = response.content.decode()
    rows = response.context["rows"]
    assert [r["enrolment"] for r in rows] == [other, enrolment]  # by name
    assert [r["total"] for r in rows] == [0, 1]
    assert [total for _, total in response.context["day_columns"]] == [1, 0, 0]
    assert 'aria-label="Osmonova Aigul, March 10, 2025: present"' in html
    assert 'aria-pressed="true"' in html
    assert "03/11/2025" in html  # the day columns in the reader's format
    assert "Withdrawnova" in html.split("Not in the grid")[1]
    assert "Click a cell or press Space to mark present; arrows move" in html
    assert reverse("trainings:results_upload", args=[session.code]) in html
    assert f"{reverse('trainings:import_template', args=['results'])}?session=UPR-01" in html
    assert "/static/js/grids.js" in html


def test_marking_a_cell_saves_it_and_answers_the_cell_and_totals(
    client, trainer, session, enrolment
):
    client.force_login(trainer)
    day = session.days.order_by("date").first()

    response = mark(client, session, enrolment, day, "false")

    assert response.status_code == 200
    assert stored((enrolment, day)) is True
    html = response.content.decode()
    assert f'id="att-{enrolment.pk}-{day.pk}"' in html
    assert 'aria-pressed="true"' in html
    assert f'<span id="att-row-{enrolment.pk}" hx-swap-oob="true">1</span>' in html
    assert f'<span id="att-day-{day.pk}" hx-swap-oob="true">1</span>' in html

    response = mark(client, session, enrolment, day, "true")
    assert response.status_code == 200
    assert stored((enrolment, day)) is False
    assert 'aria-pressed="false"' in response.content.decode()


def test_attendance_conflict_answers_409_and_keeps_the_stored_mark(
    client, trainer, session, enrolment
):
    day = session.days.order_by("date").first()
    attendance_mark(enrolment=enrolment, day=day, present=True, expected=False)
    client.force_login(trainer)

    # The page still showed "present" (stale), someone else meanwhile marked absent... here:
    # the page showed absent, but present is stored; the click wants absent -> present toggle.
    response = mark(client, session, enrolment, day, "false", present="true")

    assert response.status_code == 409
    assert stored((enrolment, day)) is True
    html = response.content.decode()
    assert "Changed meanwhile by someone else" in html
    assert 'aria-pressed="true"' in html


def test_attendance_of_another_sessions_day_is_not_found(client, trainer, session, enrolment):
    other_day = SessionFactory().days.first()
    client.force_login(trainer)
    assert mark(client, session, enrolment, other_day, "false").status_code == 404


def test_withdrawn_enrolment_cannot_be_marked_present(client, trainer, session, enrolment):
    enrolment.status = Enrolment.Status.WITHDRAWN
    enrolment.save()
    day = session.days.first()
    client.force_login(trainer)
    response = mark(client, session, enrolment, day, "false")
    assert response.status_code == 422
    assert "withdrawn" in response.content.decode()
    assert stored((enrolment, day)) is None


def test_bad_attendance_request_is_refused(client, trainer, session, enrolment):
    client.force_login(trainer)
    response = client.post(url("trainings:attendance_mark", session), {"enrolment": enrolment.pk})
    assert response.status_code == 400


# --- the score grid ---------------------------------------------------------------------------


def test_score_grid_shows_inputs_percent_and_gain(client, trainer, session, enrolment):
    enrolment_score_save(enrolment=enrolment, field="pre", value=Decimal(40), expected=None)
    enrolment_score_save(enrolment=enrolment, field="post", value=Decimal("60.5"), expected=None)
    client.force_login(trainer)

    html = client.get(url("trainings:score_grid", session)).content.decode()

    assert 'inputmode="decimal"' in html
    assert 'data-max="80"' in html
    assert 'value="60.5"' in html and '"was": "60.5"' in html
    assert "Pre-test score of Osmonova Aigul" in html
    assert "50 → 76" in html  # 40/80 and 60.5/80 in percent
    assert "+26" in html
    assert "Tab moves right, Enter moves down; each score is saved as you leave the field" in html


def test_saving_a_score(client, trainer, session, enrolment):
    client.force_login(trainer)
    response = save(client, session, enrolment, "pre", "72")
    assert response.status_code == 200
    enrolment.refresh_from_db()
    assert enrolment.pre_score == Decimal(72)
    html = response.content.decode()
    assert f'id="score-{enrolment.pk}-pre"' in html
    assert '"was": "72"' in html
    assert f'id="score-pct-{enrolment.pk}" hx-swap-oob="true">90 →' in html


def test_decimal_comma_is_accepted(client, trainer, session, enrolment):
    client.force_login(trainer)
    assert save(client, session, enrolment, "post", "55,5").status_code == 200
    enrolment.refresh_from_db()
    assert enrolment.post_score == Decimal("55.5")


def test_decimal_comma_in_russian_is_shown_with_a_comma(
    client, trainer, session, enrolment, settings
):
    enrolment_score_save(enrolment=enrolment, field="post", value=Decimal("55.5"), expected=None)
    client.force_login(trainer)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    html = client.get(url("trainings:score_grid", session)).content.decode()
    assert 'value="55,5"' in html and '"was": "55.5"' in html


def test_blank_clears_a_score(client, trainer, session, enrolment):
    enrolment_score_save(enrolment=enrolment, field="pre", value=Decimal(30), expected=None)
    client.force_login(trainer)
    assert save(client, session, enrolment, "pre", "  ", was="30").status_code == 200
    enrolment.refresh_from_db()
    assert enrolment.pre_score is None


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("81", "is above the maximum score, 80"),
        ("-1", "cannot be negative"),
        ("abc", "is not a number"),
        ("50.125", "at most two decimals"),
    ],
)
def test_wrong_score_is_refused_with_422_and_the_db_untouched(
    client, trainer, session, enrolment, typed, says
):
    enrolment_score_save(enrolment=enrolment, field="pre", value=Decimal(30), expected=None)
    client.force_login(trainer)

    response = save(client, session, enrolment, "pre", typed, was="30")

    assert response.status_code == 422
    html = response.content.decode()
    assert says in html
    assert 'aria-invalid="true"' in html
    assert f'value="{typed}"' in html  # kept for correcting
    assert '"was": "30"' in html
    enrolment.refresh_from_db()
    assert enrolment.pre_score == Decimal(30)


def test_score_conflict_answers_409_with_the_stored_value(client, trainer, session, enrolment):
    enrolment_score_save(enrolment=enrolment, field="post", value=Decimal(72), expected=None)
    client.force_login(trainer)

    response = save(client, session, enrolment, "post", "80", was="")

    assert response.status_code == 409
    html = response.content.decode()
    assert "Changed meanwhile by someone else: now 72. Your 80 was not saved" in html
    assert 'value="72"' in html and '"was": "72"' in html
    enrolment.refresh_from_db()
    assert enrolment.post_score == Decimal(72)


def test_the_same_score_saved_twice_is_no_conflict(client, trainer, session, enrolment):
    enrolment_score_save(enrolment=enrolment, field="post", value=Decimal(72), expected=None)
    client.force_login(trainer)
    assert save(client, session, enrolment, "post", "72,00", was="").status_code == 200


def test_withdrawn_enrolment_takes_no_score(client, trainer, session, enrolment):
    enrolment.status = Enrolment.Status.WITHDRAWN
    enrolment.save()
    client.force_login(trainer)
    response = save(client, session, enrolment, "pre", "50")
    assert response.status_code == 422
    enrolment.refresh_from_db()
    assert enrolment.pre_score is None


def test_bad_score_request_is_refused(client, trainer, session, enrolment):
    client.force_login(trainer)
    response = client.post(
        url("trainings:score_save", session), {"enrolment": enrolment.pk, "field": "mid", "was": ""}
    )
    assert response.status_code == 400


# --- the services -------------------------------------------------------------------------------


def test_attendance_mark_refuses_a_stale_expectation(enrolment):
    day = enrolment.session.days.first()
    attendance_mark(enrolment=enrolment, day=day, present=True, expected=False)
    with pytest.raises(ConflictError) as raised:
        attendance_mark(enrolment=enrolment, day=day, present=False, expected=False)
    assert raised.value.current is True
    assert stored((enrolment, day)) is True


def test_enrolment_score_save_refuses_a_stale_expectation(enrolment):
    enrolment_score_save(enrolment=enrolment, field="pre", value=Decimal(10), expected=None)
    with pytest.raises(ConflictError) as raised:
        enrolment_score_save(enrolment=enrolment, field="pre", value=Decimal(20), expected=None)
    assert raised.value.current == Decimal(10)


def test_enrolment_score_save_refuses_above_the_maximum(enrolment):
    with pytest.raises(ValidationError):
        enrolment_score_save(
            enrolment=enrolment, field="post", value=Decimal("80.01"), expected=None
        )
    enrolment.refresh_from_db()
    assert enrolment.post_score is None


@pytest.mark.parametrize(
    ("text", "value"),
    [("", None), (" 85,5 ", Decimal("85.5")), ("85.50", Decimal("85.50")), ("0", Decimal(0))],
)
def test_score_parse(text, value):
    assert score_parse(text) == value


# --- queries do not grow with the participants ---------------------------------------------------


@pytest.mark.parametrize("name", GRIDS)
def test_grid_queries_are_flat_with_1_and_30_participants(
    client, trainer, session, django_assert_max_num_queries, name
):
    client.force_login(trainer)
    days = list(session.days.all())

    def fill(n):
        for enrolment in EnrolmentFactory.create_batch(n, session=session, pre_score=50):
            for day in days:
                Attendance.objects.create(enrolment=enrolment, day=day, present=True)

    fill(1)
    with django_assert_max_num_queries(9) as one:
        assert client.get(url(name, session)).status_code == 200
    fill(29)
    with django_assert_max_num_queries(9) as thirty:
        response = client.get(url(name, session))
    assert response.status_code == 200
    assert len(response.context["rows"]) == 30
    assert len(thirty) == len(one)


def test_all_present_marks_only_the_cells_seen_absent(client, trainer, session, enrolment):
    seen_absent = EnrolmentFactory(session=session)
    unmarked_meanwhile = EnrolmentFactory(session=session)
    withdrawn = EnrolmentFactory(session=session, status=Enrolment.Status.WITHDRAWN)
    day = session.days.order_by("date").first()
    # The page showed `unmarked_meanwhile` present; someone else has since marked them absent.
    Attendance.objects.create(enrolment=unmarked_meanwhile, day=day, present=False)
    client.force_login(trainer)

    response = client.post(
        reverse("trainings:attendance_day_present", args=[session.code]),
        {"day": day.pk, "absent": f"{enrolment.pk},{seen_absent.pk},{withdrawn.pk}"},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    assert "2 more marked present on March 10, 2025." in response.content.decode()
    assert stored((enrolment, day)) is True
    assert stored((seen_absent, day)) is True
    assert stored((unmarked_meanwhile, day)) is False
    assert stored((withdrawn, day)) is None
    assert [total for _, total in response.context["day_columns"]] == [2, 0, 0]


def test_me_officer_cannot_mark_all_present(client, session, enrolment):
    client.force_login(user_in(roles.ME_OFFICER))
    day = session.days.first()
    response = client.post(
        reverse("trainings:attendance_day_present", args=[session.code]),
        {"day": day.pk, "absent": str(enrolment.pk)},
    )
    assert response.status_code == 403
    assert stored((enrolment, day)) is None
