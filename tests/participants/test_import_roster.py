"""``manage.py import_roster``: the roster contract of automation.md, through real files."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from participants.models import Agency, Participant
from participants.resources import RosterResource
from tests.factories import (
    AgencyFactory,
    EnrolmentFactory,
    ParticipantFactory,
    SessionFactory,
    agency_type,
    gender,
    region,
)
from trainings.importing import load_dataset
from trainings.models import Enrolment, Session

pytestmark = pytest.mark.django_db

HEADER = [
    "session",
    "last_name",
    "first_name",
    "middle_name",
    "gender",
    "birth_year",
    "agency",
    "agency_type",
    "position",
    "region",
    "email",
    "phone",
    "disability",
]
AIGUL = {
    "session": "UPR-01",
    "last_name": "Осмонова",
    "first_name": "Айгүл",
    "gender": "ж",
    "birth_year": 1990,
    "agency": "Генеральная прокуратура",
    "agency_type": "Прокуратура",
}
NURLAN = {
    **AIGUL,
    "last_name": "Токтогулов",
    "first_name": "Нурлан",
    "gender": "м",
    "birth_year": 1982,
    "email": "nurlan@mail.kg",
}


def roster(*rows: dict) -> list[list]:
    """Return a header and one row per dict, in the contract's column order."""
    return [HEADER, *([row.get(column, "") for column in HEADER] for row in rows)]


def run(path, *args: str) -> str:
    out = io.StringIO()
    call_command("import_roster", str(path), *args, stdout=out)
    return out.getvalue().strip()


def run_failing(path, *args: str) -> list[str]:
    """Run an import that must fail; return the lines it printed on stderr."""
    err = io.StringIO()
    with pytest.raises(CommandError) as failure:
        call_command("import_roster", str(path), *args, stderr=err)
    assert failure.value.returncode == 1
    assert "nothing was written" in str(failure.value)
    return err.getvalue().splitlines()


def database_state() -> tuple:
    return (
        sorted(Participant.objects.values_list("pk", "name_key", "email_key", "updated_at")),
        sorted(Enrolment.objects.values_list("pk", "session_id", "participant_id", "status")),
        sorted(Agency.objects.values_list("pk", "name_key", "type_id")),
    )


@pytest.fixture
def upr():
    return SessionFactory(code="UPR-01", status=Session.Status.OPEN)


@pytest.fixture
def prosecution():
    """The agency AIGUL and NURLAN name, already recorded."""
    return AgencyFactory(name="Генеральная прокуратура", type=agency_type("Prosecution"))


# --- files ------------------------------------------------------------------------------------


def test_good_file_creates_people_agencies_and_enrolments(upr, write_xlsx):
    ministry = AgencyFactory(name="Министерство юстиции")
    path = write_xlsx(
        roster(
            {**AIGUL, "position": "прокурор", "region": "Бишкек", "disability": "нет"},
            {**NURLAN, "agency": "министерство юстиции", "agency_type": ""},
            {**AIGUL, "last_name": "Ковалёва", "first_name": "Елена", "phone": "+996 555 12"},
        )
    )
    assert Participant.objects.count() == 0

    out = run(path)

    assert out == (
        "enrolments: 3 created, 0 updated, 0 unchanged, 0 waitlisted; "
        "participants: 3 created, 0 updated, 0 unchanged; "
        "agencies: 1 created, 0 updated, 1 unchanged"
    )
    prosecution = Agency.objects.get(name="Генеральная прокуратура")
    assert prosecution.type == agency_type("Prosecution")
    aigul = Participant.objects.get(last_name="Осмонова")
    assert (aigul.first_name, aigul.birth_year, aigul.gender.code) == ("Айгүл", 1990, "female")
    assert (aigul.position, aigul.region, aigul.disability) == (
        "прокурор",
        region("Bishkek city"),
        "no",
    )
    assert aigul.agency == prosecution
    nurlan = Participant.objects.get(email_key="nurlan@mail.kg")
    assert (nurlan.gender.code, nurlan.agency) == ("male", ministry)
    assert Participant.objects.get(last_name="Ковалёва").phone == "+996 555 12"
    assert set(Enrolment.objects.values_list("session", "status")) == {(upr.pk, "registered")}
    assert Enrolment.objects.count() == 3


def test_second_import_changes_nothing(upr, write_xlsx):
    path = write_xlsx(roster(AIGUL, NURLAN, {**NURLAN, "session": "upr-01"}))
    run(path)
    before = database_state()

    out = run(path)

    assert database_state() == before
    assert out == (
        "enrolments: 0 created, 0 updated, 2 unchanged, 0 waitlisted; "
        "participants: 0 created, 0 updated, 2 unchanged; "
        "agencies: 0 created, 0 updated, 1 unchanged"
    )


def test_dry_run_writes_nothing_but_reports_the_same_counts(upr, write_csv):
    path = write_csv(roster(AIGUL, NURLAN))
    before = database_state()

    dry = run(path, "--dry-run")

    assert database_state() == before
    real = run(path)
    assert dry == "dry run, nothing written: " + real
    assert Participant.objects.count() == 2


@pytest.mark.parametrize(("delimiter", "bom"), [(",", True), (";", False), (";", True)])
def test_csv_with_bom_or_semicolons_is_read(upr, write_csv, delimiter, bom):
    path = write_csv(roster(AIGUL, NURLAN), delimiter=delimiter, bom=bom)
    run(path)
    assert set(Participant.objects.values_list("last_name", flat=True)) == {
        "Осмонова",
        "Токтогулов",
    }
    assert upr.enrolments.count() == 2


def test_headers_in_other_case_and_with_spaces_are_recognised(upr, write_xlsx):
    rows = roster(NURLAN)
    rows[0] = [f"  {h.upper().replace('_', ' ')} " for h in HEADER]
    run(write_xlsx(rows))
    nurlan = Participant.objects.get()
    assert (nurlan.last_name, nurlan.birth_year, nurlan.email) == (
        "Токтогулов",
        1982,
        "nurlan@mail.kg",
    )


def test_unknown_columns_are_ignored_and_so_is_an_exported_status(upr, write_csv):
    rows = roster(AIGUL)
    rows[0] = [*rows[0], "notes", "status"]
    rows[1] = [*rows[1], "пришла с опозданием", "withdrawn"]
    run(write_csv(rows))
    assert upr.enrolments.get().status == Enrolment.Status.REGISTERED


GENDER_SPELLINGS = [
    *[
        (s, "female")
        for s in ["female", "f", "woman", "w", "ж", "жен", "женский", "женщина", "аял"]
    ],
    *[(s, "male") for s in ["male", "m", "man", "м", "муж", "мужской", "мужчина", "эркек"]],
    *[(s, "other") for s in ["other", "другое"]],
    *[(s, "undisclosed") for s in ["", "undisclosed", "prefer not to say", "не указано", "-"]],
]


@pytest.mark.parametrize(("spelling", "code"), GENDER_SPELLINGS)
@pytest.mark.parametrize("case", [str, str.upper])
def test_every_gender_spelling_of_the_contract_is_read(upr, write_csv, spelling, code, case):
    run(write_csv(roster({**AIGUL, "gender": f" {case(spelling)} "})))
    assert Participant.objects.get().gender.code == code


def test_cyrillic_agency_names_are_one_agency_in_any_case(upr, write_xlsx):
    existing = AgencyFactory(name="Генеральная прокуратура", type=agency_type("Prosecution"))
    path = write_xlsx(
        roster(
            {**AIGUL, "agency": "ГЕНЕРАЛЬНАЯ ПРОКУРАТУРА", "agency_type": ""},
            {**NURLAN, "agency": "генеральная   прокуратура", "agency_type": "prosecution"},
            {**AIGUL, "last_name": "Ковалёва", "agency": "Омбудсмен", "agency_type": "NHRI"},
            {**NURLAN, "last_name": "Ким", "email": "", "agency": "ОМБУДСМЕН", "agency_type": ""},
        )
    )
    out = run(path)
    assert "agencies: 1 created, 0 updated, 1 unchanged" in out
    assert Agency.objects.count() == 2
    assert set(Participant.objects.values_list("agency__name", flat=True)) == {
        existing.name,
        "Омбудсмен",
    }
    assert Agency.objects.get(name="Омбудсмен").type == agency_type("Ombudsman")


def test_runs_of_spaces_in_names_are_read_as_one(upr, prosecution, write_csv):
    ParticipantFactory(
        last_name="Ковалёва", first_name="Елена", birth_year=1985, email="", agency=prosecution
    )
    path = write_csv(
        roster(
            {**AIGUL, "last_name": "  Ковалёва ", "first_name": "Елена  ", "birth_year": 1985},
            {**AIGUL, "last_name": "Абдыкадырова  Бегимай", "middle_name": "  Асановна"},
        )
    )
    out = run(path)
    assert "participants: 1 created, 0 updated, 1 unchanged" in out
    new = Participant.objects.get(first_name="Айгүл")
    assert (new.last_name, new.middle_name) == ("Абдыкадырова Бегимай", "Асановна")


def test_yo_and_ye_are_the_same_letter_and_the_stored_spelling_stays(upr, write_csv):
    elena = ParticipantFactory(last_name="Ковалёва", first_name="Елена", birth_year=1985, email="")
    run(
        write_csv(
            roster({**AIGUL, "last_name": "КОВАЛЕВА", "first_name": "елена", "birth_year": 1985})
        )
    )
    elena.refresh_from_db()
    assert Participant.objects.count() == 1
    assert elena.last_name == "Ковалёва"
    assert elena.enrolments.get().session == upr


def test_birth_year_stored_as_a_decimal_number_in_xlsx_is_a_year(upr, write_xlsx):
    run(write_xlsx(roster({**AIGUL, "birth_year": 1985.0})))
    assert Participant.objects.get().birth_year == 1985


def test_blank_rows_are_skipped_and_row_numbers_stay_those_of_the_sheet(upr, write_xlsx):
    rows = roster(AIGUL, {}, {**NURLAN, "gender": "мужик"})
    rows[2] = [None] * len(HEADER)
    lines = run_failing(write_xlsx(rows))
    assert lines == [
        "row 4: gender: 'мужик' is not a gender: write female, male, other or undisclosed "
        "(or f, m, ж, м, ...)"
    ]


def test_blank_rows_between_good_rows_import_the_others(upr, write_csv):
    rows = roster(AIGUL, {}, NURLAN)
    out = run(write_csv(rows))
    assert "participants: 2 created" in out


def test_session_codes_are_found_in_any_case_and_stay_stored_as_given(write_csv):
    session = SessionFactory(code="Upr-7")
    run(write_csv(roster({**AIGUL, "session": "UPR-7"}, {**NURLAN, "session": " upr-7 "})))
    session.refresh_from_db()
    assert session.code == "Upr-7"
    assert session.enrolments.count() == 2


def test_codes_that_differ_only_in_case_must_be_written_exactly(write_csv):
    exact = SessionFactory(code="ab-1")
    SessionFactory(code="AB-1")
    lines = run_failing(
        write_csv(roster({**AIGUL, "session": "ab-1"}, {**NURLAN, "session": "Ab-1"}))
    )
    assert len(lines) == 1
    assert lines[0].startswith("row 3: session: 'Ab-1' could be session ")
    assert lines[0].endswith(": write the code exactly as recorded")
    assert exact.enrolments.count() == 0


# --- bad rows ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"session": "UPR-99"}, "row 2: session: there is no session UPR-99"),
        ({"session": "CANCELLED-1"}, "row 2: session: session CANCELLED-1 is cancelled"),
        ({"session": ""}, "row 2: session: required"),
        ({"last_name": "  "}, "row 2: last_name: required"),
        ({"first_name": ""}, "row 2: first_name: required"),
        ({"agency": ""}, "row 2: agency: required"),
        ({"gender": "x"}, "row 2: gender: 'x' is not a gender"),
        ({"birth_year": "nineteen"}, "row 2: birth_year: 'nineteen' is not a whole number"),
        ({"birth_year": 1850}, "row 2: birth_year: 1850 is not a plausible birth year"),
        ({"birth_year": 2999}, "row 2: birth_year: 2999 is not a plausible birth year"),
        ({"birth_year": "1985.5"}, "row 2: birth_year: '1985.5' is not a whole number"),
        ({"email": "aigul@"}, "row 2: email: 'aigul@' is not an email address"),
        ({"agency": "Жаңы уюм", "agency_type": ""}, "row 2: agency_type: agency Жаңы уюм is new"),
        ({"agency_type": "Космос"}, "row 2: agency_type: 'Космос' is not in the list"),
        ({"region": "Атлантида"}, "row 2: region: 'Атлантида' is not in the list of regions"),
        ({"disability": "maybe"}, "row 2: disability: 'maybe' is not yes, no or blank"),
        ({"last_name": "Я" * 101}, "row 2: last_name: Ensure this value has at most 100"),
    ],
)
def test_a_bad_row_is_reported_and_nothing_is_written(upr, write_csv, change, expected):
    SessionFactory(code="CANCELLED-1", status=Session.Status.CANCELLED)
    path = write_csv(roster({**AIGUL, **change}, NURLAN))
    before = database_state()

    lines = run_failing(path)

    assert len(lines) == 1
    assert lines[0].startswith(expected)
    assert database_state() == before


def test_an_ambiguous_match_says_how_many_people_and_what_to_add(upr, write_csv):
    for year in (1980, 1990):
        ParticipantFactory(last_name="Осмонова", first_name="Айгүл", birth_year=year, email="")
    lines = run_failing(write_csv(roster({**AIGUL, "birth_year": ""})))
    assert lines == [
        "row 2: birth_year: 2 people named Осмонова Айгүл could be this person: "
        "add the birth year or the email to tell them apart"
    ]


def test_an_existing_agency_given_another_type_is_an_error(upr, write_csv):
    AgencyFactory(name="Генеральная прокуратура", type=agency_type("Prosecution"))
    lines = run_failing(write_csv(roster({**AIGUL, "agency_type": "Суд"})))
    assert lines == [
        "row 2: agency_type: agency Генеральная прокуратура is recorded as type Prosecution, "
        "not Court: leave agency_type blank or correct it"
    ]


def test_a_new_agency_given_two_types_in_one_file_is_an_error(upr, write_csv):
    lines = run_failing(write_csv(roster(AIGUL, {**NURLAN, "agency_type": "Police"})))
    assert lines == [
        "row 3: agency_type: agency Генеральная прокуратура is given type Prosecution on row 2, "
        "not Police: leave agency_type blank or make them agree"
    ]


def test_several_problems_are_all_reported_and_nothing_is_written(upr, write_xlsx):
    path = write_xlsx(
        roster(
            AIGUL,
            {**NURLAN, "session": "NOPE", "gender": "?", "email": "not-an-email"},
            {**AIGUL, "last_name": "Ким", "agency": "Новое агентство", "agency_type": ""},
            {**AIGUL, "last_name": "Ли", "birth_year": 1800},
        )
    )
    before = database_state()

    lines = run_failing(path)

    assert [line.split(":")[0:2] for line in lines] == [
        ["row 3", " session"],
        ["row 3", " gender"],
        ["row 3", " email"],
        ["row 4", " agency_type"],
        ["row 5", " birth_year"],
    ]
    assert database_state() == before


def test_a_missing_required_column_is_reported_on_the_header_row(upr, write_csv):
    rows = [[cell for i, cell in enumerate(row) if HEADER[i] != "gender"] for row in roster(AIGUL)]
    assert run_failing(write_csv(rows)) == ["row 1: gender: required column is missing"]


def test_a_file_that_is_not_a_spreadsheet_is_refused(upr, tmp_path):
    path = tmp_path / "roster.txt"
    path.write_text("session,last_name\n")
    with pytest.raises(CommandError, match=r"only \.xlsx and \.csv files can be imported"):
        call_command("import_roster", str(path))


# --- matching people --------------------------------------------------------------------------


def test_a_person_is_matched_by_email_in_another_case(upr, write_csv):
    nurlan = ParticipantFactory(last_name="Токтогулов", first_name="Нурлан", email="nurlan@mail.kg")
    run(write_csv(roster({**NURLAN, "last_name": "Toktogulov", "email": "NURLAN@Mail.KG"})))
    nurlan.refresh_from_db()
    assert Participant.objects.count() == 1
    assert (nurlan.last_name, nurlan.email) == ("Toktogulov", "nurlan@mail.kg")
    assert nurlan.enrolments.get().session == upr


def test_a_person_is_matched_by_name_and_birth_year(upr, prosecution, write_csv):
    aigul = ParticipantFactory(
        last_name="Осмонова", first_name="Айгүл", birth_year=1990, email="", agency=prosecution
    )
    ParticipantFactory(last_name="Осмонова", first_name="Айгүл", birth_year=1975, email="")
    out = run(write_csv(roster(AIGUL)))
    assert "participants: 0 created, 0 updated, 1 unchanged" in out
    assert list(upr.enrolments.values_list("participant", flat=True)) == [aigul.pk]


def test_a_missing_birth_year_matches_the_one_candidate_and_fills_it_in(
    upr, prosecution, write_csv
):
    aigul = ParticipantFactory(
        last_name="Осмонова", first_name="Айгүл", birth_year=None, email="", agency=prosecution
    )
    out = run(write_csv(roster(AIGUL)))
    aigul.refresh_from_db()
    assert "participants: 0 created, 1 updated, 0 unchanged" in out
    assert aigul.birth_year == 1990
    assert Participant.objects.count() == 1


def test_the_same_name_with_another_birth_year_is_another_person(upr, write_csv):
    ParticipantFactory(last_name="Осмонова", first_name="Айгүл", birth_year=1975, email="")
    out = run(write_csv(roster(AIGUL, {**AIGUL, "birth_year": 1960})))
    assert "participants: 2 created, 0 updated, 0 unchanged" in out
    assert sorted(Participant.objects.values_list("birth_year", flat=True)) == [1960, 1975, 1990]


def test_the_same_name_with_another_email_is_another_person(upr, write_csv):
    ParticipantFactory(last_name="Токтогулов", first_name="Нурлан", birth_year=1982, email="n@x.kg")
    run(write_csv(roster(NURLAN)))
    assert Participant.objects.count() == 2


def test_a_person_in_two_sessions_is_one_participant_with_two_enrolments(upr, write_xlsx):
    other = SessionFactory(code="OPCAT-02")
    run(write_xlsx(roster(NURLAN, {**NURLAN, "session": "OPCAT-02", "email": ""})))
    nurlan = Participant.objects.get()
    assert set(nurlan.enrolments.values_list("session", flat=True)) == {upr.pk, other.pk}


def test_a_person_created_by_an_earlier_row_gets_the_email_of_a_later_one(upr, write_csv):
    other = SessionFactory(code="OPCAT-02")
    path = write_csv(roster(AIGUL, {**AIGUL, "session": "OPCAT-02", "email": "Aigul@Mail.kg"}))
    out = run(path)
    aigul = Participant.objects.get()
    assert "participants: 1 created" in out
    assert (aigul.email, aigul.email_key) == ("Aigul@Mail.kg", "aigul@mail.kg")
    assert set(aigul.enrolments.values_list("session", flat=True)) == {upr.pk, other.pk}


def test_two_rows_with_one_email_are_one_person_and_the_later_names_win(upr, write_csv):
    other = SessionFactory(code="OPCAT-02")
    path = write_csv(
        roster(
            NURLAN,
            {**NURLAN, "session": "OPCAT-02", "last_name": "Toktogulov", "first_name": "Nurlan"},
        )
    )
    run(path)
    nurlan = Participant.objects.get()
    assert (nurlan.last_name, nurlan.first_name) == ("Toktogulov", "Nurlan")
    assert nurlan.enrolments.count() == 2
    assert other.enrolments.get().participant == nurlan


def test_row_values_update_the_matched_person_and_blank_cells_erase_nothing(upr, write_csv):
    nurlan = ParticipantFactory(
        last_name="Токтогулов",
        first_name="Нурлан",
        middle_name="Асанович",
        email="nurlan@mail.kg",
        gender=gender("male"),
        birth_year=1982,
        position="судья",
        phone="+996 700 000 000",
        region=region("Osh"),
        disability="yes",
    )
    updated_at = nurlan.updated_at
    row = {**NURLAN, "gender": "", "position": "старший судья"}
    out = run(write_csv(roster(row)))
    nurlan.refresh_from_db()
    assert "participants: 0 created, 1 updated, 0 unchanged" in out
    assert nurlan.position == "старший судья"
    assert nurlan.agency.name == "Генеральная прокуратура"
    # Blank in the file, kept as recorded:
    assert (nurlan.middle_name, nurlan.gender.code, nurlan.phone) == (
        "Асанович",
        "male",
        "+996 700 000 000",
    )
    assert (nurlan.region, nurlan.disability) == (region("Osh"), "yes")
    assert nurlan.updated_at > updated_at


# --- enrolments -------------------------------------------------------------------------------


def test_the_same_person_twice_in_one_session_is_enrolled_once(upr, write_csv):
    out = run(write_csv(roster(NURLAN, {**NURLAN, "last_name": "ТОКТОГУЛОВ"})))
    assert "enrolments: 1 created, 0 updated, 0 unchanged" in out
    assert upr.enrolments.count() == 1


def test_an_existing_enrolment_is_unchanged_and_a_withdrawn_one_is_registered_again(upr, write_csv):
    nurlan = ParticipantFactory(last_name="Токтогулов", first_name="Нурлан", email="nurlan@mail.kg")
    aigul = ParticipantFactory(last_name="Осмонова", first_name="Айгүл", birth_year=1990, email="")
    kept = EnrolmentFactory(session=upr, participant=nurlan, status=Enrolment.Status.CONFIRMED)
    withdrawn = EnrolmentFactory(session=upr, participant=aigul, status=Enrolment.Status.WITHDRAWN)

    out = run(write_csv(roster(NURLAN, AIGUL)))

    assert out.startswith("enrolments: 0 created, 1 updated, 1 unchanged, 0 waitlisted;")
    kept.refresh_from_db()
    withdrawn.refresh_from_db()
    assert kept.status == Enrolment.Status.CONFIRMED
    assert withdrawn.status == Enrolment.Status.REGISTERED
    assert upr.enrolments.count() == 2


def test_enrolments_beyond_the_capacity_are_waitlisted(write_csv):
    session = SessionFactory(code="UPR-01", capacity=3)
    EnrolmentFactory(session=session, status=Enrolment.Status.CONFIRMED)
    EnrolmentFactory(session=session, status=Enrolment.Status.WITHDRAWN)
    EnrolmentFactory(session=session, status=Enrolment.Status.WAITLISTED)
    rows = [{**AIGUL, "last_name": name} for name in ("Абдыкадырова", "Бекова", "Васильева")]

    out = run(write_csv(roster(*rows)))

    assert out.startswith("enrolments: 3 created, 0 updated, 0 unchanged, 1 waitlisted;")
    statuses = dict(
        session.enrolments.filter(participant__first_name="Айгүл").values_list(
            "participant__last_name", "status"
        )
    )
    assert statuses == {
        "Абдыкадырова": "registered",
        "Бекова": "registered",
        "Васильева": "waitlisted",
    }


def test_the_import_preview_says_what_each_row_does(upr, write_csv):
    ParticipantFactory(last_name="Токтогулов", first_name="Нурлан", email="nurlan@mail.kg")
    EnrolmentFactory(session=upr, participant__email="kim@mail.kg")
    path = write_csv(
        roster(
            AIGUL,
            {**NURLAN, "session": "UPR-01"},
            {**AIGUL, "last_name": "Ким", "email": "kim@mail.kg", "agency_type": ""},
            AIGUL,
        )
    )
    result = RosterResource().import_data(load_dataset(path), dry_run=True)
    assert [row.import_type for row in result.rows] == ["new", "new", "update", "skip"]
    assert Participant.objects.count() == 2


def test_an_exported_roster_imports_back_without_changes(upr, write_csv):
    run(write_csv(roster(AIGUL, {**NURLAN, "region": "Ош", "disability": "да", "phone": "0555"})))
    exported = RosterResource().export(queryset=Enrolment.objects.all())
    before = database_state()

    out = run(write_csv([exported.headers, *exported], name="exported.csv"))

    assert database_state() == before
    assert out.startswith("enrolments: 0 created, 0 updated, 2 unchanged")
    assert dict(zip(exported.headers, exported[1], strict=True))["gender"] in {"female", "male"}


# --- queries ----------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [5, 50])
def test_the_number_of_queries_does_not_grow_with_the_rows(
    write_xlsx, django_assert_max_num_queries, size
):
    upr = SessionFactory(code="UPR-01", capacity=size // 2)
    SessionFactory(code="OPCAT-02")
    agency = AgencyFactory(name="Министерство юстиции")
    rows = []
    for i in range(size):
        if i % 3 == 0:
            # A known person, matched by email, whose birth year and names the row changes.
            known = ParticipantFactory(email=f"known{i}@mail.kg", agency=agency, birth_year=None)
            if i % 2:
                EnrolmentFactory(session=upr, participant=known, status=Enrolment.Status.WITHDRAWN)
            row = {**NURLAN, "email": known.email, "agency": agency.name, "agency_type": ""}
        elif i % 3 == 1:
            row = {**AIGUL, "session": "OPCAT-02", "last_name": f"Новая{i}"}
        else:
            row = {**AIGUL, "agency": f"Агентство {i}", "last_name": f"Другая{i}"}
        rows.append(row)
    path = write_xlsx(roster(*rows))

    # 15, and the audit trail: one insert per kind of change, two reads of partly loaded rows;
    # and the seats counted again under a lock of the sessions (two queries).
    with django_assert_max_num_queries(23):
        out = run(path)

    assert out.startswith(f"enrolments: {size - len(range(3, size, 6))} created")
    assert f"participants: {size - len(range(0, size, 3))} created" in out
    assert f"agencies: {1 + len(range(2, size, 3))} created, 0 updated, 1 unchanged" in out


# --- the file-wide check of a person's own fields ----------------------------------------------


@pytest.mark.parametrize(
    "values",
    [
        {},
        {"last_name": "Х" * 101},
        {"first_name": ""},
        {"middle_name": "a\x00b"},
        {"position": "p" * 256},
        {"phone": "1" * 51},
        {"email": "not-an-email"},
        {"email": "a" * 250 + "@mail.kg"},
        {"birth_year": 1899},
        {"birth_year": 40000},
        {"birth_year": 1985},
        {"disability": "maybe"},
        {"last_name": "", "email": "x@", "birth_year": 3000, "disability": "?"},
    ],
)
def test_person_check_gives_the_errors_the_service_gives(values):
    from django.utils import timezone

    from participants.resources import ROW_FIELDS, PersonCheck
    from participants.services import participant_field_errors

    check = PersonCheck(timezone.localdate().year)
    # An email the row's reading passed is checked for the rest only: the same outcome.
    check.valid_emails.add("a" * 250 + "@mail.kg")
    for _ in range(2):  # the second time from what the first one found
        person = Participant(**{"last_name": "Асанова", "first_name": "Айгүл", **values})
        expected = participant_field_errors(person, ROW_FIELDS)
        assert check.errors(person, set(ROW_FIELDS)) == expected
        assert check.errors(person, {"last_name"}) == {
            k: v for k, v in expected.items() if k == "last_name"
        }
