"""Erasing a person's data: the record becomes anonymous and every figure stays the same.

The data set: three sessions (one with a max score of 50, one cancelled), twelve people of
mixed gender, agency type, region, birth year and disability, with attendance, scores and
certificates (one revoked). Three of them are erased; the statistics (``stats.summary``) and
every sheet of the workbook are compared before and after, and the whole database is searched
for what was erased.
"""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.management import CommandError, call_command
from django.db import models
from django.utils import timezone
from openpyxl import load_workbook

from participants.duplicates import duplicate_suggestions
from participants.erasure import ERASED_LAST_NAME, ParticipantEraseError, participant_erase
from participants.matching import PersonIndex, Probe
from participants.models import Participant, ParticipantMerge
from participants.normalize import email_key, name_key
from participants.selectors import participant_directory
from participants.services import ParticipantMergeError, participant_merge, participant_update
from reports import stats
from reports.stats import Filters
from reports.workbook import SHEETS, write_workbook
from tests.factories import (
    AgencyFactory,
    CertificateFactory,
    CourseFactory,
    EnrolmentFactory,
    ParticipantFactory,
    SessionFactory,
    agency_type,
    attend,
    gender,
    region,
    user_in,
)
from trainings import roles
from trainings.models import Enrolment, Session
from trainings.views.organiser import people_matching

pytestmark = pytest.mark.django_db

NAME_COLUMNS = ("Last name", "First name", "Middle name", "Email")
# What the erased people are called: distinctive, so that a leftover anywhere is found.
SECRETS = [
    {
        "last_name": "Zarypbekova",
        "first_name": "Aisuluu",
        "middle_name": "Toktosunovna",
        "email": "aisuluu.zarypbekova@mail.example",
        "phone": "+996 700 111 222",
        "position": "Chief inspector of the Ninth Unit",
    },
    {
        "last_name": "Коваленкова",
        "first_name": "Елизавета",
        "middle_name": "Игоревна",
        "email": "liza.kov@mail.example",
        "phone": "+996 555 909 808",
        "position": "Старший следователь отдела",
    },
    {
        "last_name": "Umetaliev",
        "first_name": "Chyngyz",
        "middle_name": "",
        "email": "chyngyz.u@mail.example",
        "phone": "0772 314 159",
        "position": "Press officer of Talas",
    },
]


def build() -> dict:
    """Create the data set; return the people to erase and the others."""
    police = AgencyFactory(name="Police of Chui", type=agency_type("Police"))
    ministry = AgencyFactory(name="Ministry of Justice", type=agency_type("Ministry"))
    ngo = AgencyFactory(name="Women of Naryn", type=agency_type("Civil society"))
    torture = CourseFactory(code="TORT")
    upr = CourseFactory(code="UPR")
    s1 = SessionFactory(code="S1", course=torture, start_date=dt.date(2025, 3, 10))
    s2 = SessionFactory(
        code="S2",
        course=upr,
        start_date=dt.date(2025, 5, 5),
        end_date=dt.date(2025, 5, 6),
        max_score=Decimal(50),
    )
    s3 = SessionFactory(code="S3", course=upr, status=Session.Status.CANCELLED)
    genders = ["female", "male", "female", "other", "male", "undisclosed"]
    agencies = [police, ministry, ngo]
    regions = ["Chui", "Osh", "Naryn", None]
    people = []
    for i in range(12):
        extra = SECRETS[i // 4] if i % 4 == 0 else {}
        people.append(
            ParticipantFactory(
                gender=gender(genders[i % 6]),
                agency=agencies[i % 3],
                region=region(regions[i % 4]) if regions[i % 4] else None,
                birth_year=1970 + i if i % 5 else None,
                disability=["yes", "no", ""][i % 3],
                consent=True,
                consent_at=dt.datetime(2025, 1, 1 + i, tzinfo=dt.UTC),
                consent_version="2024-12-01",
                **extra,
            )
        )
    for i, person in enumerate(people):
        e1 = EnrolmentFactory(
            session=s1,
            participant=person,
            pre_score=Decimal(30 + i * 3),
            post_score=Decimal(50 + i * 4) if i % 3 else None,
            status=Enrolment.Status.WITHDRAWN if i == 11 else Enrolment.Status.CONFIRMED,
        )
        attend(e1, 1 + i % 3)
        if i % 3 == 0:
            revoked = i == 3
            CertificateFactory(
                enrolment=e1,
                revoked=revoked,
                revoked_on=dt.date(2025, 4, 1) if revoked else None,
                revoked_reason="issued by mistake" if revoked else "",
            )
        if i % 2 == 0:
            e2 = EnrolmentFactory(
                session=s2, participant=person, pre_score=Decimal(10 + i), post_score=Decimal(40)
            )
            attend(e2, 2)
        if i % 4 == 1:
            EnrolmentFactory(session=s3, participant=person)
    erased = [people[0], people[4], people[8]]
    return {"erased": erased, "kept": [p for p in people if p not in erased], "people": people}


def workbook_sheets() -> dict[str, list[tuple]]:
    """Write the whole workbook to memory and read back every sheet's rows."""
    buffer = io.BytesIO()
    write_workbook(buffer, Filters())
    book = load_workbook(io.BytesIO(buffer.getvalue()), read_only=True)
    return {name: [tuple(row) for row in book[name].iter_rows(values_only=True)] for name in SHEETS}


def data_rows(rows: list[tuple]) -> tuple[tuple, list[tuple], list[tuple]]:
    """Split the Data sheet: its header, its rows without the name columns, and all rows."""
    at = next(i for i, row in enumerate(rows) if row and row[0] == "Session")
    header = rows[at]
    wiped = {header.index(name) for name in NAME_COLUMNS}
    body = [row for row in rows[at + 1 :] if any(v is not None for v in row)]
    stripped = [tuple(v for i, v in enumerate(row) if i not in wiped) for row in body]
    return header, stripped, body


def text_values() -> list[tuple[str, str, str]]:
    """Every text value stored in every table: (model, field, value)."""
    found = []
    for model in apps.get_models():
        fields = [
            f.attname
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField | models.JSONField)
        ]
        if not fields:
            continue
        for row in model.objects.values_list(*fields):
            for name, value in zip(fields, row, strict=True):
                if value not in (None, ""):
                    found.append((model._meta.label, name, str(value)))
    return found


def leftovers(people_secrets: list[dict]) -> list[tuple[str, str, str]]:
    """The stored text values that still hold any erased name, email, phone or position."""
    needles = [v.casefold() for s in people_secrets for v in s.values() if v]
    return [
        (model, field, value)
        for model, field, value in text_values()
        if any(needle in value.casefold() for needle in needles)
    ]


def erase_all(people) -> None:
    actor = user_in(roles.ORGANISER)
    for person in people:
        participant_erase(participant=person, actor=actor, reason="The person asked by letter")


def test_statistics_and_workbook_are_the_same_before_and_after_erasing_three_people():
    world = build()
    figures_before = stats.summary(Filters())
    sheets_before = workbook_sheets()
    assert figures_before["participants"] == 11  # the withdrawn-only person does not count
    header, data_before, raw_before = data_rows(sheets_before["Data"])
    assert any("Zarypbekova" in row for row in raw_before)

    erase_all(world["erased"])

    assert stats.summary(Filters()) == figures_before
    sheets_after = workbook_sheets()
    for name in SHEETS:
        if name != "Data":
            assert sheets_after[name] == sheets_before[name], name
    header_after, data_after, raw_after = data_rows(sheets_after["Data"])
    assert header_after == header
    # Rows are ordered by name within a session, so erased rows move: compare them as sets.
    assert sorted(data_after, key=repr) == sorted(data_before, key=repr)
    assert len(data_after) == 17  # 11 in S1 (one withdrawn), 6 in S2
    last = header.index("Last name")
    erased_rows = [row for row in raw_after if row[last] == ERASED_LAST_NAME]
    assert len(erased_rows) == 6  # two participations each
    assert all(row[header.index("Email")] is None for row in erased_rows)


def test_statistics_by_filter_stay_the_same_after_erasure():
    world = build()
    chosen = [
        Filters(gender=gender("female")),
        Filters(region=region("Chui")),
        Filters(agency_type=agency_type("Police")),
        Filters(course="UPR"),
    ]
    before = [stats.summary(f) for f in chosen]
    erase_all(world["erased"])
    assert [stats.summary(f) for f in chosen] == before


def test_erased_records_keep_what_the_figures_need_and_lose_the_rest():
    world = build()
    person = world["erased"][0]
    kept = {
        name: getattr(person, name)
        for name in (
            "gender_id",
            "agency_id",
            "region_id",
            "birth_year",
            "disability",
            "consent",
            "consent_at",
            "consent_version",
            "created_at",
        )
    }
    enrolments = list(Enrolment.objects.filter(participant=person).values_list("pk", flat=True))

    erase_all([person])

    person.refresh_from_db()
    assert person.erased_at is not None
    assert (person.last_name, person.first_name, person.middle_name) == (
        ERASED_LAST_NAME,
        f"#{person.pk}",
        "",
    )
    assert (person.email, person.phone, person.position) == ("", "", "")
    assert (person.name_key, person.email_key) == ("", "")
    assert {name: getattr(person, name) for name in kept} == kept
    assert sorted(Enrolment.objects.filter(participant=person).values_list("pk", flat=True)) == (
        sorted(enrolments)
    )


def test_nothing_of_the_erased_people_is_left_anywhere_in_the_database():
    world = build()
    first, second, third = world["erased"]
    actor = user_in(roles.ORGANISER)
    # History rows with the names as they were, and an earlier spelling.
    participant_update(participant=first, actor=actor, position="Deputy head, Zarypbekova's unit")
    participant_update(participant=first, actor=actor, position=SECRETS[0]["position"])
    # A duplicate record of the second person, merged into it: its snapshot holds the names.
    duplicate = ParticipantFactory(
        last_name="Kovalenkova",
        first_name="Elizaveta",
        middle_name="Igorevna",
        email="liza.kovalenkova.old@mail.example",
        phone="+996 555 000 111",
        agency=second.agency,
        birth_year=second.birth_year,
    )
    EnrolmentFactory(participant=duplicate, session=SessionFactory(code="S9"))
    participant_merge(keep=second, merge=duplicate, actor=actor)
    # The admin's log names the object it changed.
    LogEntry.objects.create(
        user=actor,
        content_type=ContentType.objects.get_for_model(Participant),
        object_id=str(third.pk),
        object_repr=str(third),
        action_flag=CHANGE,
        change_message="[]",
    )
    secrets = [
        *SECRETS,
        {"last_name": "Kovalenkova", "email": "liza.kovalenkova.old@mail.example"},
        {"phone": "+996 555 000 111"},
    ]
    before = leftovers(secrets)
    # The search sees the names where they are: current rows, history, merge, log.
    assert {model for model, _, _ in before} >= {
        "participants.Participant",
        "participants.HistoricalParticipant",
        "participants.ParticipantMerge",
        "admin.LogEntry",
    }

    erase_all(world["erased"])

    assert leftovers(secrets) == []
    # The record of the erasure: who, when and why, with no old value.
    erasure = first.history.filter(history_change_reason__startswith="Erased on request").get()
    assert erasure.history_user is not None
    assert erasure.history_change_reason == "Erased on request: The person asked by letter"
    assert erasure.last_name == ERASED_LAST_NAME
    snapshot = ParticipantMerge.objects.get(kept=second).merged_snapshot
    assert snapshot["last_name"] == ERASED_LAST_NAME
    assert snapshot["enrolments_moved"]  # what the merge did stays on record


def test_others_keep_their_names_and_history():
    world = build()
    other = world["kept"][0]
    names = (other.last_name, other.first_name, other.email)
    erase_all(world["erased"])
    other.refresh_from_db()
    assert (other.last_name, other.first_name, other.email) == names
    assert other.history.first().last_name == names[0]


def test_an_erased_record_cannot_be_erased_twice():
    world = build()
    person = world["erased"][0]
    erase_all([person])
    erased_at = Participant.objects.get(pk=person.pk).erased_at
    with pytest.raises(ParticipantEraseError, match="already erased"):
        participant_erase(participant=person, actor=None, reason="again")
    assert Participant.objects.get(pk=person.pk).erased_at == erased_at
    assert person.history.filter(history_change_reason__startswith="Erased").count() == 1


@pytest.mark.parametrize("reason", ["", "   ", "x" * 101])
def test_a_reason_is_required_and_short(reason):
    person = ParticipantFactory(last_name="Asanova")
    with pytest.raises(ParticipantEraseError):
        participant_erase(participant=person, actor=None, reason=reason)
    person.refresh_from_db()
    assert person.last_name == "Asanova"
    assert person.erased_at is None


@pytest.mark.parametrize("erased_side", ["keep", "merge"])
def test_an_erased_record_cannot_be_merged(erased_side):
    keep, merge = ParticipantFactory(), ParticipantFactory()
    erase_all([keep if erased_side == "keep" else merge])
    with pytest.raises(ParticipantMergeError, match="erased record cannot be merged"):
        participant_merge(keep=keep, merge=merge)
    assert Participant.objects.filter(pk__in=[keep.pk, merge.pk]).count() == 2


def test_erased_people_are_not_found_by_name_search_matching_or_duplicates():
    person = ParticipantFactory(last_name="Abdyrakhmanova", first_name="Meerim", birth_year=1990)
    twin = ParticipantFactory(last_name="Абдырахманова", first_name="Мээрим", birth_year=1990)
    assert any({s.first.pk, s.second.pk} == {person.pk, twin.pk} for s in duplicate_suggestions())
    assert list(participant_directory(search="abdyrakhmanova")) == [person]
    session = SessionFactory(status=Session.Status.OPEN)
    # The organiser's register-a-person search, in Latin letters (also finds the Cyrillic twin).
    assert {p.pk for p in people_matching("Abdyrakhmanova", session=session)} >= {person.pk}
    probe = Probe.of(last_name="Abdyrakhmanova", first_name="Meerim", birth_year=1990)
    assert PersonIndex.load(email_keys=[], name_keys=[probe.name_key]).match(probe).person == person

    erase_all([person])
    other = ParticipantFactory(last_name="Erased", first_name="Participant")

    assert all(person.pk not in (s.first.pk, s.second.pk) for s in duplicate_suggestions())
    assert list(participant_directory(search="abdyrakhmanova")) == []
    assert person.pk not in {p.pk for p in people_matching("Abdyrakhmanova", session=session)}
    assert person.pk not in {p.pk for p in people_matching("Erased", session=session)}
    # Nobody finds the erased record under its label either (its name key is empty).
    assert list(participant_directory(search="erased participant")) == [other]
    assert list(participant_directory(search=f"#{person.pk}")) == []
    label = name_key(ERASED_LAST_NAME, f"#{person.pk}", "")
    index = PersonIndex.load(email_keys=[email_key(person.email)], name_keys=[label])
    assert index.match(Probe(label)).person is None
    assert PersonIndex.load(email_keys=[], name_keys=[probe.name_key]).match(probe).person is None


def test_the_command_erases_with_yes_and_refuses_twice():
    world = build()
    person = world["erased"][0]
    out = io.StringIO()
    call_command(
        "erase_participant", "--id", str(person.pk), "--reason", "asked", "--yes", stdout=out
    )
    assert f"participant #{person.pk}" in out.getvalue()
    person.refresh_from_db()
    assert person.erased_at is not None
    assert person.history.first().history_change_reason == "Erased on request: asked"
    with pytest.raises(CommandError, match="already erased"):
        call_command("erase_participant", "--id", str(person.pk), "--reason", "asked", "--yes")


def test_the_command_asks_and_changes_nothing_without_a_yes(monkeypatch):
    person = ParticipantFactory(last_name="Sadykova")
    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    with pytest.raises(CommandError, match="not confirmed"):
        call_command("erase_participant", "--id", str(person.pk), "--reason", "asked")
    person.refresh_from_db()
    assert (person.last_name, person.erased_at) == ("Sadykova", None)


def test_the_command_refuses_an_unknown_id():
    with pytest.raises(CommandError, match="no participant has the id 999999"):
        call_command("erase_participant", "--id", "999999", "--reason", "x", "--yes")


def test_an_erased_person_registering_again_gets_a_new_record():
    from trainings.registration import registration_submit

    world = build()
    person = world["erased"][0]
    erase_all([person])
    start = timezone.localdate() + dt.timedelta(days=30)
    session = SessionFactory(
        start_date=start,
        end_date=start + dt.timedelta(days=1),
        status=Session.Status.OPEN,
        registration_open=True,
    )
    registration_submit(
        session=session,
        data={
            **{k: v for k, v in SECRETS[0].items() if k != "position"},
            "gender": gender("female"),
            "agency_name": "Police of Chui",
            "agency_type": None,
            "region": None,
            "consent": True,
        },
    )
    again = Participant.objects.get(email=SECRETS[0]["email"])
    assert again.pk != person.pk
    person.refresh_from_db()
    assert (person.last_name, person.email) == (ERASED_LAST_NAME, "")
    assert Enrolment.objects.get(session=session).participant_id == again.pk
