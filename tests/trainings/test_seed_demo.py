"""The demo data set: its size and realism, its users, and that a second run changes nothing."""

import datetime as dt
import re
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Count, F, Q
from django.test import Client, override_settings
from django.utils import timezone

from certificates.models import Certificate, CertificateDesign
from participants.models import Agency, Participant
from participants.normalize import email_key, fold, name_key
from reports import stats
from reports.models import Programme, Target
from reports.targets import achievements
from trainings import roles
from trainings.demo import DEMO_PREFIX, demo_seed
from trainings.models import Attendance, Course, Enrolment, Session, TrainingDay

pytestmark = pytest.mark.django_db

LOGIN_LINE = re.compile(r"^\s+(\S+)\s+/\s+(\S+)\s+(\S.*?)\s*$")


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def printed_logins(output: str) -> dict[str, tuple[str, str]]:
    """Return {username: (password, role)} from the command's login lines."""
    return {m[1]: (m[2], m[3]) for line in output.splitlines() if (m := LOGIN_LINE.match(line))}


def counts() -> dict[str, int]:
    models = [
        Course,
        Session,
        TrainingDay,
        Agency,
        Participant,
        Enrolment,
        Attendance,
        CertificateDesign,
        Certificate,
        Programme,
        Target,
    ]
    found = {model.__name__: model.objects.count() for model in models}
    found["User"] = get_user_model().objects.count()
    return found


@pytest.fixture(scope="module", autouse=True)
def _media(tmp_path_factory):
    """Keep the demo design's logo out of the project's media folder."""
    with override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media")):
        yield


@pytest.fixture(scope="class")
def seeded(django_db_setup, django_db_blocker):
    """Seed once for a class of read-only tests, in a transaction rolled back after them."""
    with django_db_blocker.unblock(), transaction.atomic():
        assert not Session.objects.filter(code__startswith=DEMO_PREFIX).exists()
        yield seed()
        transaction.set_rollback(True)


class TestTheSeededProgramme:
    """Read-only checks of one seeded data set."""

    def test_seed_creates_a_programme_of_realistic_size(self, seeded):
        today = timezone.localdate()
        sessions = Session.objects.filter(code__startswith=DEMO_PREFIX)
        assert sessions.count() == 12
        assert Course.objects.count() == 4
        assert Course.objects.filter(assessed=False).count() == 1
        assert Agency.objects.count() == 30
        assert Agency.objects.filter(participants__isnull=True).count() == 0
        assert 350 <= Participant.objects.count() <= 450
        assert sessions.filter(start_date__lt=today - dt.timedelta(days=548)).count() == 0
        assert set(sessions.values_list("language", flat=True)) == {"ru", "ky", "en"}
        assert sessions.values("region").distinct().count() >= 8
        by_status = dict(sessions.values_list("status").annotate(n=Count("id")))
        assert by_status == {"completed": 10, "cancelled": 1, "open": 1}
        assert not sessions.filter(status="completed", end_date__gte=today).exists()
        assert sessions.get(status="open").start_date > today
        assert set(sessions.values_list("max_score", flat=True)) == {100, 20}

    def test_sessions_have_explicit_days_and_one_skips_the_weekend(self, seeded):
        sessions = Session.objects.annotate(n=Count("days"))
        assert {s.n for s in sessions} == {2, 3}
        assert all(s.n == len({d.date for d in s.days.all()}) for s in sessions)
        skipping = [s for s in sessions if s.n < (s.end_date - s.start_date).days + 1]
        assert len(skipping) == 1
        taught = set(skipping[0].days.values_list("date", flat=True))
        span = (skipping[0].end_date - skipping[0].start_date).days + 1
        skipped = {skipping[0].start_date + dt.timedelta(days=n) for n in range(span)} - taught
        assert skipped and all(day.weekday() >= 5 for day in skipped)

    def test_many_people_attend_two_or_three_sessions(self, seeded):
        per_person = Participant.objects.annotate(n=Count("enrolments"))
        assert not per_person.filter(n=0).exists()
        assert per_person.filter(n=2).count() >= 30
        assert per_person.filter(n=3).exists()
        assert not per_person.filter(n__gt=3).exists()
        sizes = Session.objects.annotate(n=Count("enrolments")).values_list("n", flat=True)
        assert min(sizes) >= 20

    def test_people_are_named_in_kyrgyz_russian_and_latin_letters(self, seeded):
        names = [p.full_name for p in Participant.objects.all()]
        assert any(re.search("[ңөүҢӨҮ]", name) for name in names)
        assert any("ё" in name for name in names)
        assert sum(name.isascii() for name in names) >= 10
        assert set(Participant.objects.values_list("gender__code", flat=True)) == {
            "female",
            "male",
            "other",
            "undisclosed",
        }
        agencies = list(Agency.objects.values_list("name", flat=True))
        assert any(name.isascii() for name in agencies)
        assert any(re.search("[а-яё]", name) for name in agencies)
        assert Participant.objects.filter(region__isnull=True).exists()
        assert Participant.objects.filter(email="").count() < Participant.objects.count() / 4
        assert not Participant.objects.filter(consent=True, consent_at__isnull=True).exists()

    def test_bulk_written_rows_carry_the_keys_save_would_set(self, seeded):
        for p in Participant.objects.all():
            assert p.name_key == name_key(p.last_name, p.first_name, p.middle_name)
            assert p.email_key == email_key(p.email)
        for agency in Agency.objects.all():
            assert agency.name_key == fold(agency.name)

    def test_past_sessions_have_attendance_for_every_day_with_some_absences(self, seeded):
        counted = Enrolment.objects.filter(status__in=Enrolment.COUNTED)
        completed = counted.filter(session__status=Session.Status.COMPLETED)
        days = dict(TrainingDay.objects.values_list("session").annotate(n=Count("id")))
        marks = dict(Attendance.objects.values_list("enrolment").annotate(n=Count("id")))
        assert completed.count() > 300
        for enrolment in completed:
            assert marks.get(enrolment.pk) == days[enrolment.session_id]
        assert not Attendance.objects.exclude(
            enrolment__session__status=Session.Status.COMPLETED
        ).exists()
        assert not Attendance.objects.exclude(enrolment__status__in=Enrolment.COUNTED).exists()
        total = Attendance.objects.count()
        absent = Attendance.objects.filter(present=False).count()
        assert 0.04 <= absent / total <= 0.14

    def test_scores_stay_within_the_maximum_and_improve_on_average(self, seeded):
        scored = Enrolment.objects.filter(Q(pre_score__isnull=False) | Q(post_score__isnull=False))
        assert scored.exists()
        assert not scored.filter(
            Q(pre_score__gt=F("session__max_score")) | Q(post_score__gt=F("session__max_score"))
        ).exists()
        assert not scored.filter(session__course__assessed=False).exists()
        assert scored.filter(session__max_score=20).exists()
        pairs = [
            (float(e.pre_score / e.session.max_score), float(e.post_score / e.session.max_score))
            for e in scored.select_related("session").filter(
                pre_score__isnull=False, post_score__isnull=False
            )
        ]
        pre_mean = sum(pre for pre, _ in pairs) / len(pairs)
        post_mean = sum(post for _, post in pairs) / len(pairs)
        assert 0.45 <= pre_mean <= 0.60
        assert 0.70 <= post_mean <= 0.85
        assert any(post < pre for pre, post in pairs)
        assert scored.filter(post_score__isnull=True).exists()

    def test_enrolments_include_withdrawn_and_waitlisted(self, seeded):
        statuses = set(Enrolment.objects.values_list("status", flat=True))
        assert statuses == {"registered", "confirmed", "waitlisted", "withdrawn"}

    def test_each_role_user_is_in_its_group_and_logs_in_with_the_printed_password(self, seeded):
        logins = printed_logins(seeded)
        assert {role for _, role in logins.values()} == {
            roles.ORGANISER,
            roles.TRAINER,
            roles.ME_OFFICER,
            roles.ADMINISTRATOR,
        }
        User = get_user_model()
        for username, (password, role) in logins.items():
            user = User.objects.get(username=username)
            assert list(user.groups.values_list("name", flat=True)) == [role]
            assert user.is_staff
            assert user.is_superuser == (role == roles.ADMINISTRATOR)
            assert Client().login(username=username, password=password)
        assert "http://127.0.0.1:8000/accounts/login/" in seeded

    def test_completed_sessions_have_certificates_in_their_own_language(self, seeded):
        design = CertificateDesign.objects.get()
        assert design.is_default
        assert design.logo.name.endswith(".svg") and design.logo.size > 0
        assert design.issuer_ru and design.issuer_ky
        signatories = list(design.signatories.all())
        assert len(signatories) == 2
        assert all(s.name_ru and s.name_ky and s.title_ru and s.title_ky for s in signatories)
        sessions = Session.objects.filter(code__startswith=DEMO_PREFIX)
        assert not sessions.exclude(certificate_language=F("language")).exists()
        assert not sessions.exclude(certificate_design=design).exists()
        assert sessions.filter(training_hours__isnull=True).count() == 1  # the online one
        certificates = Certificate.objects.all()
        assert set(certificates.values_list("enrolment__session__status", flat=True)) == {
            Session.Status.COMPLETED
        }
        assert certificates.values("enrolment__session").distinct().count() == 10
        completed = Enrolment.objects.filter(
            session__status=Session.Status.COMPLETED, status__in=Enrolment.COUNTED
        )
        assert completed.count() * 0.5 < certificates.count() < completed.count()
        assert not certificates.filter(issued_on__gt=timezone.localdate()).exists()

    def test_two_programmes_group_the_sessions_and_carry_four_targets_each(self, seeded):
        assert "2 programmes, 8 targets" in seeded
        programmes = list(Programme.objects.order_by("code"))
        assert [p.code for p in programmes] == ["DEMO-PREV-TORT-CA", "DEMO-ROL-HR"]
        torture, rule_of_law = programmes
        assert rule_of_law.name.startswith("Rule of Law and Human Rights Programme 20")
        assert ";" in rule_of_law.donors  # co-funded
        assert torture.name == "Prevention of Torture in Central Asia"
        for programme in programmes:
            assert programme.donors and programme.description
            assert programme.start_date.month == 1 and programme.end_date.month == 12
            dates = programme.sessions.values_list("start_date", flat=True)
            assert all(programme.start_date <= d <= programme.end_date for d in dates)
            assert set(programme.targets.values_list("indicator", flat=True)) == set(
                Target.Indicator.values
            )
            assert not programme.targets.exclude(period_start=None, period_end=None).exists()
        assert set(torture.sessions.values_list("course__code", flat=True)) == {"PREV-TORT"}
        assert set(rule_of_law.sessions.values_list("course__code", flat=True)) == {
            "UPR-TB",
            "CTHB",
            "PREV-TORT",
        }
        shared = set(torture.sessions.all()) & set(rule_of_law.sessions.all())
        assert len(shared) == 1
        outside = Session.objects.filter(programmes=None)
        assert set(outside.values_list("course__code", flat=True)) == {"GSR"}
        assert rule_of_law.targets.get(indicator="women_share").value == Decimal("0.5")
        assert rule_of_law.targets.get(indicator="improved_share").value == Decimal("0.7")

    def test_the_targets_are_partly_achieved(self, seeded):
        for programme in Programme.objects.all():
            found = {a.indicator: a for a in achievements(stats.Filters(programme=programme))}
            assert 0.3 < found["participants"].ratio < 1
            assert 0.3 < found["certificates"].ratio < 1
            assert 0.35 < found["women_share"].achieved < 0.65
            assert found["improved_share"].ratio > 1

    def test_the_demo_trainer_teaches_several_sessions_but_not_all(self, seeded):
        trainer = get_user_model().objects.get(groups__name=roles.TRAINER)
        assert 3 <= trainer.trained_sessions.count() < Session.objects.count()


def test_second_run_creates_nothing_and_says_so(seeded):
    before = counts()
    again = seed()
    assert counts() == before
    assert "nothing created" in again
    assert printed_logins(again) == printed_logins(seeded)


def test_existing_user_is_left_alone_and_its_password_not_printed():
    User = get_user_model()
    User.objects.create_user("admin", password="a-real-secret")
    output = seed()
    admin = User.objects.get(username="admin")
    assert admin.check_password("a-real-secret")
    assert not admin.is_superuser
    assert "admin-demo" not in output
    assert "organiser-demo" in output


def test_same_seed_gives_the_same_data_on_a_fresh_database():
    def snapshot():
        people = Participant.objects.order_by("id").values_list(
            "name_key", "email", "birth_year", "gender__code", "agency__name"
        )
        scores = Enrolment.objects.order_by("id").values_list(
            "session__code", "participant__name_key", "status", "pre_score", "post_score"
        )
        links = Programme.sessions.through.objects.order_by(
            "programme__code", "session__start_date"
        ).values_list("programme__code", "session__code")
        programmes = Programme.objects.values_list("code", "name", "start_date", "end_date")
        return (
            list(people),
            list(scores),
            list(Attendance.objects.values_list("present")),
            list(links),
            list(programmes),
        )

    today = dt.date(2025, 6, 1)
    demo_seed(today=today)
    first = snapshot()
    for model in (Certificate, Attendance, Enrolment, TrainingDay, Session, Participant):
        model.objects.all().delete()
    Agency.objects.exclude(parent=None).delete()
    Agency.objects.all().delete()
    Course.objects.all().delete()
    demo_seed(today=today)
    assert snapshot() == first


def test_people_already_registered_by_email_are_reused_not_duplicated():
    demo_seed()
    with_email = Participant.objects.exclude(email="").count()
    Certificate.objects.all().delete()
    Attendance.objects.all().delete()
    Enrolment.objects.all().delete()
    Session.objects.all().delete()
    demo_seed()
    assert Participant.objects.exclude(email="").count() == with_email
    assert Session.objects.count() == 12
    # The programmes are reused, and linked to the new sessions.
    assert Programme.objects.count() == 2
    assert Target.objects.count() == 8
    assert Session.objects.filter(programmes=None).count() == 3


def test_a_demo_seeded_before_programmes_gets_them_on_the_next_run(seeded):
    links = set(Programme.sessions.through.objects.values_list("programme__code", "session__code"))
    Programme.objects.all().delete()
    before = counts()

    again = seed()

    assert "Demo data created: 2 programmes, 8 targets." in again
    after = counts()
    assert after.pop("Programme") == 2 and after.pop("Target") == 8
    before.pop("Programme"), before.pop("Target")
    assert after == before
    assert (
        set(Programme.sessions.through.objects.values_list("programme__code", "session__code"))
        == links
    )
    assert "nothing created" in seed()


def test_missing_role_group_is_a_clear_error_and_writes_nothing():
    Group.objects.filter(name=roles.TRAINER).delete()
    with pytest.raises(CommandError, match="migrate"):
        seed()
    assert not Session.objects.exists()
    assert not get_user_model().objects.exists()


def test_seeding_takes_a_fixed_number_of_queries(django_assert_max_num_queries):
    # One query per table and per insert batch (SQLite batches the largest tables in a few),
    # plus issuing certificates for each of the 10 completed sessions through the service, each
    # with its audit-trail insert.
    with django_assert_max_num_queries(130):
        seed()
