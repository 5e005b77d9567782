"""The whole command-line contract at once, on files written as someone else would write them.

Sessions come from an .xlsx with real dates and DD.MM.YYYY text, the roster from a semicolon CSV
with a BOM in Cyrillic and Latin letters, the results from an .xlsx whose day headers are real
dates and from a CSV whose day headers are text; then `stats --json` must give the numbers
computed by hand below.
"""

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import call_command

from participants.models import Agency, Participant
from trainings.models import Attendance, Enrolment, Session

# fmt: off
SESSIONS = [
    ["Code", "Course", "Course Title", "Start Date", "End Date", "Region", "Venue", "Format", "Language", "Capacity", "Max Score"],
    ["UPR-01", "UPR", "UN human rights mechanisms", dt.date(2025, 3, 10), dt.date(2025, 3, 12), "Bishkek city", "Hotel Jannat", "In person", "ru", 25, None],
    [None, None, None, None, None, None, None, None, None, None, None],
    ["PT-01", "PT", "Prevention of torture", "01.04.2025", "02.04.2025", "Ош", "", "online", "ky", None, 20],
]

ROSTER = [
    ["Session", " Last_Name ", "First_Name", "Middle_Name", "GENDER", "Birth_Year", "Agency", "Agency_Type", "Position", "Region", "Email", "Phone", "Disability"],
    ["UPR-01", "Осмонова", "Айгүл", "", "Ж", "1990", "Генеральная прокуратура", "Прокуратура", "prosecutor", "Чуй", "aigul@example.org", "", "нет"],
    ["UPR-01", "Токтогулов", "Нурлан", "", "муж", "1985", "Министерство  юстиции", "Ministry", "", "Bishkek city", "", "+996 555 000 111", ""],
    ["UPR-01", "Ковалёва", "Елена", "", "female", "", "министерство юстиции", "", "", "", "", "", "yes"],
    ["", "", "", "", "", "", "", "", "", "", "", "", ""],
    # The same woman again: her email in capitals, her agency in capitals.
    ["PT-01", "Осмонова", "Айгүл", "", "w", "1990", "ГЕНЕРАЛЬНАЯ ПРОКУРАТУРА", "", "", "", "AIGUL@EXAMPLE.ORG", "", ""],
    # Elena again, written with е for ё and no email: the same person by name.
    ["PT-01", "Ковалева", "  Елена ", "", "Женский", "", "Министерство юстиции", "", "", "", "", "", ""],
    ["PT-01", "Smith", "John", "", "M", "1970", "UNDP", "International organisation", "", "", "", "", "no"],
]

UPR_RESULTS = [
    ["session", "email", "last_name", "first_name", "birth_year", "pre_score", "post_score", dt.datetime(2025, 3, 10), dt.datetime(2025, 3, 11), dt.datetime(2025, 3, 12)],
    ["UPR-01", "aigul@example.org", "", "", "", 50, 80, 1, 1, 1],
    ["UPR-01", "", "Токтогулов", "Нурлан", 1985, 40, 40, "+", "x", "-"],
    ["UPR-01", "", "Ковалёва", "Елена", None, 60, None, "да", "нет", None],
]

PT_RESULTS = [
    ["Session", "Email", "Last_Name", "First_Name", "Birth_Year", "Pre_Score", "Post_Score", "2025-04-01", "2025-04-02"],
    ["PT-01", "AIGUL@EXAMPLE.ORG", "", "", "", "10", "15", "yes", "y"],
    ["PT-01", "", "КОВАЛЕВА", "елена", "", "12", "18", "1", "0"],
    ["PT-01", "", "Smith", "John", "1970", "", "20", "present", "absent"],
]

# fmt: on


def run(command: str, *args: str) -> str:
    out = StringIO()
    call_command(command, *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def stats(*args: str) -> dict:
    return json.loads(run("stats", "--json", *args))


@pytest.fixture
def imported(db, write_xlsx, write_csv):
    files = [
        ("import_sessions", write_xlsx(SESSIONS, "sessions.xlsx")),
        ("import_roster", write_csv(ROSTER, "roster.csv", delimiter=";", bom=True)),
        ("import_results", write_xlsx(UPR_RESULTS, "upr-results.xlsx")),
        ("import_results", write_csv(PT_RESULTS, "pt-results.csv")),
    ]
    for command, path in files:
        run(command, str(path))
    return files


def test_files_from_outside_import_into_the_records_they_describe(imported):
    assert Session.objects.count() == 2
    assert Session.objects.get(code="PT-01").days.count() == 2
    # Four people: Aigul and Elena each came twice.
    assert Participant.objects.count() == 4
    assert Agency.objects.count() == 3
    assert Enrolment.objects.count() == 6
    elena = Participant.objects.get(first_name="Елена")
    assert elena.last_name == "Ковалёва" or elena.last_name == "Ковалева"
    assert elena.enrolments.count() == 2
    assert Attendance.objects.filter(present=True).count() == 10


def test_stats_json_gives_the_hand_computed_figures(imported):
    figures = stats()
    assert figures["sessions"] == 2
    assert figures["participations"] == 6
    assert figures["participants"] == 4
    assert figures["by_gender"] == {
        "female": {"participants": 2, "participations": 4},
        "male": {"participants": 2, "participations": 2},
        "other": {"participants": 0, "participations": 0},
        "undisclosed": {"participants": 0, "participations": 0},
    }
    assert figures["by_agency_type"] == {
        "Ministry": {"participants": 2, "participations": 3},
        "Prosecution": {"participants": 1, "participations": 2},
        "International organisation": {"participants": 1, "participations": 1},
    }
    assert figures["by_region"] == {
        "Chui": {"participants": 1, "participations": 2},
        "Bishkek city": {"participants": 1, "participations": 1},
        "unknown": {"participants": 2, "participations": 3},
    }
    assert figures["by_course"] == {
        "PT": {"participants": 3, "participations": 3},
        "UPR": {"participants": 3, "participations": 3},
    }
    # Present person-days: UPR 3 + 2 + 1, PT 2 + 1 + 1 = 10 of 3 * 3 + 3 * 2 = 15.
    assert figures["attendance_rate"] == pytest.approx(10 / 15)
    # Pairs, in percent: UPR Aigul 50 -> 80, Nurlan 40 -> 40; PT (max 20) Aigul 50 -> 75,
    # Elena 60 -> 90. Elena's UPR (no post) and John's PT (no pre) are not pairs.
    assert figures["assessment"] == pytest.approx(
        {
            "pairs": 4,
            "pre_mean": 50.0,
            "post_mean": 71.25,
            "mean_gain": 21.25,
            "improved_share": 0.75,
            "normalized_gain": 21.25 / 50,
        }
    )
    assert figures["certificates"] == 0


def test_stats_filters_narrow_the_scope(imported):
    torture = stats("--course", "PT")
    assert (torture["sessions"], torture["participations"], torture["participants"]) == (1, 3, 3)
    assert stats("--from", "2025-04-01", "--to", "2025-04-01")["participations"] == 3
    chui = stats("--region", "Чуй")
    assert (chui["participations"], chui["participants"]) == (2, 1)
    ministry = stats("--agency-type", "ministry")
    assert (ministry["participations"], ministry["participants"]) == (3, 2)


def test_importing_every_file_again_changes_nothing(imported):
    before = stats()
    for command, path in imported:
        out = run(command, str(path))
        assert " 0 created" in out and " 0 updated" in out, out
    assert stats() == before
    assert Participant.objects.count() == 4
