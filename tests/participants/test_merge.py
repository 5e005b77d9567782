"""Merging two participant records into one: enrolments kept, blanks filled, the merge recorded."""

from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from certificates.models import Certificate
from participants.models import Participant, ParticipantMerge
from participants.services import ParticipantMergeError, participant_merge
from reports.stats import Filters, summary
from tests.factories import (
    AgencyFactory,
    CertificateFactory,
    EnrolmentFactory,
    ParticipantFactory,
    SessionFactory,
    UserFactory,
    attend,
    gender,
    region,
)
from trainings import roles
from trainings.models import Attendance, Enrolment

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair():
    keep = ParticipantFactory(
        last_name="Осмонова", first_name="Айгүл", email="aigul@example.kg", phone=""
    )
    merge = ParticipantFactory(
        last_name="Osmonova",
        first_name="Aigul",
        middle_name="Bakytovna",
        email="a.osmonova@donor.org",
        phone="+996 555 123456",
        position="Legal officer",
        agency=AgencyFactory(name="Ombudsman Institute"),
        region=region("Osh"),
    )
    return keep, merge


def test_merge_moves_every_enrolment_and_deletes_the_merged_record(pair):
    keep, merge = pair
    own = EnrolmentFactory(participant=keep)
    moved = [EnrolmentFactory(participant=merge) for _ in range(2)]
    assert keep.enrolments.count() == 1

    record = participant_merge(keep=keep, merge=merge)

    assert set(keep.enrolments.values_list("pk", flat=True)) == {own.pk, *(e.pk for e in moved)}
    assert not Participant.objects.filter(pk=merge.pk).exists()
    assert record.merged_snapshot["enrolments_moved"] == sorted(e.pk for e in moved)


def test_merge_fills_blanks_without_overwriting_and_keeps_the_kept_email(pair):
    keep, merge = pair
    keep.middle_name, keep.position = "", ""
    keep.save()

    record = participant_merge(keep=keep, merge=merge)

    keep.refresh_from_db()
    assert (keep.middle_name, keep.phone, keep.position) == (
        "Bakytovna",
        "+996 555 123456",
        "Legal officer",
    )
    assert (keep.last_name, keep.region, keep.email) == ("Осмонова", region("Chui"), keep.email)
    assert keep.email == "aigul@example.kg"
    assert record.merged_snapshot["email_not_kept"] == "a.osmonova@donor.org"


def test_merge_passes_on_the_email_when_the_kept_record_has_none(pair):
    keep, merge = pair
    keep.email = ""
    keep.save()

    participant_merge(keep=keep, merge=merge)

    keep.refresh_from_db()
    assert (keep.email, keep.email_key) == ("a.osmonova@donor.org", "a.osmonova@donor.org")


def test_merge_records_the_snapshot_and_the_actor(pair):
    keep, merge = pair
    merge.consent, merge.consent_at = True, timezone.now()
    merge.save()
    organiser = UserFactory()
    merged_id = merge.pk

    record = participant_merge(keep=keep, merge=merge, actor=organiser)

    record.refresh_from_db()
    assert (record.kept, record.merged_id, record.merged_by) == (keep, merged_id, organiser)
    snapshot = record.merged_snapshot
    assert {k: snapshot[k] for k in ("last_name", "first_name", "middle_name", "gender")} == {
        "last_name": "Osmonova",
        "first_name": "Aigul",
        "middle_name": "Bakytovna",
        "gender": "female",
    }
    assert (snapshot["agency"], snapshot["region"], snapshot["email"]) == (
        "Ombudsman Institute",
        "Osh",
        "a.osmonova@donor.org",
    )
    assert (snapshot["birth_year"], snapshot["consent"]) == (1985, True)
    keep.refresh_from_db()
    assert keep.consent is True


def test_merging_a_person_with_themselves_is_refused(pair):
    keep, _ = pair

    with pytest.raises(ParticipantMergeError, match="two different"):
        participant_merge(keep=keep, merge=keep)

    assert Participant.objects.filter(pk=keep.pk).exists()
    assert not ParticipantMerge.objects.exists()


def test_same_session_keeps_the_enrolment_with_more_information(pair):
    keep, merge = pair
    session = SessionFactory()
    bare = EnrolmentFactory(participant=keep, session=session, status="registered")
    rich = EnrolmentFactory(participant=merge, session=session, pre_score=Decimal(40))
    attend(rich, 2)

    record = participant_merge(keep=keep, merge=merge)

    assert list(Enrolment.objects.filter(session=session).values_list("pk", flat=True)) == [rich.pk]
    rich.refresh_from_db()
    assert (rich.participant, rich.pre_score, rich.status) == (keep, Decimal(40), "confirmed")
    assert Attendance.objects.filter(enrolment=rich, present=True).count() == 2
    assert record.merged_snapshot["combined"][0]["deleted_enrolment"] == bare.pk


def test_same_session_fills_the_kept_enrolments_missing_scores_and_marks(pair):
    keep, merge = pair
    session = SessionFactory()
    kept_one = EnrolmentFactory(participant=keep, session=session, post_score=Decimal(80))
    day1, day2, day3 = session.days.order_by("date")
    Attendance.objects.create(enrolment=kept_one, day=day1, present=True)
    Attendance.objects.create(enrolment=kept_one, day=day2, present=True)
    other = EnrolmentFactory(participant=merge, session=session, pre_score=Decimal(50))
    Attendance.objects.create(enrolment=other, day=day2, present=False)
    Attendance.objects.create(enrolment=other, day=day3, present=True)

    participant_merge(keep=keep, merge=merge)

    kept_one.refresh_from_db()
    assert (kept_one.pre_score, kept_one.post_score) == (Decimal(50), Decimal(80))
    marks = dict(Attendance.objects.filter(enrolment=kept_one).values_list("day__date", "present"))
    assert marks == {day1.date: True, day2.date: True, day3.date: True}
    assert not Enrolment.objects.filter(pk=other.pk).exists()


def test_two_valid_certificates_for_one_session_are_refused_and_nothing_changes(pair):
    keep, merge = pair
    session = SessionFactory()
    CertificateFactory(enrolment=EnrolmentFactory(participant=keep, session=session))
    CertificateFactory(enrolment=EnrolmentFactory(participant=merge, session=session))
    elsewhere = EnrolmentFactory(participant=merge)

    with pytest.raises(ParticipantMergeError, match="valid certificate"):
        participant_merge(keep=keep, merge=merge)

    assert Participant.objects.filter(pk=merge.pk).exists()
    elsewhere.refresh_from_db()
    assert elsewhere.participant_id == merge.pk
    assert not ParticipantMerge.objects.exists()


def test_a_revoked_certificate_moves_to_the_enrolment_that_stays(pair):
    keep, merge = pair
    session = SessionFactory()
    valid = CertificateFactory(enrolment=EnrolmentFactory(participant=keep, session=session))
    revoked = CertificateFactory(
        enrolment=EnrolmentFactory(participant=merge, session=session),
        revoked=True,
        revoked_on=timezone.localdate(),
    )

    participant_merge(keep=keep, merge=merge)

    revoked.refresh_from_db()
    assert revoked.enrolment_id == valid.enrolment_id
    assert Certificate.objects.filter(enrolment__participant=keep).count() == 2


def test_conflicting_scores_for_one_session_are_refused(pair):
    keep, merge = pair
    session = SessionFactory()
    EnrolmentFactory(participant=keep, session=session, post_score=Decimal(70))
    EnrolmentFactory(participant=merge, session=session, post_score=Decimal(75))

    with pytest.raises(ParticipantMergeError, match="different post-test scores"):
        participant_merge(keep=keep, merge=merge)

    assert Enrolment.objects.filter(session=session).count() == 2


def test_undisclosed_gender_is_filled_from_the_merged_record(pair):
    keep, merge = pair
    keep.gender = gender("undisclosed")
    keep.save()

    participant_merge(keep=keep, merge=merge)

    keep.refresh_from_db()
    assert keep.gender == gender("female")


def test_earlier_merges_into_the_merged_record_follow_it(pair):
    keep, merge = pair
    third = ParticipantFactory(email="")
    earlier = participant_merge(keep=merge, merge=third)

    participant_merge(keep=keep, merge=merge)

    earlier.refresh_from_db()
    assert earlier.kept == keep


def test_statistics_count_the_same_participations_and_one_participant_fewer(pair):
    keep, merge = pair
    EnrolmentFactory(participant=keep)
    EnrolmentFactory(participant=merge)
    EnrolmentFactory(participant=merge)
    before = summary(Filters())
    assert (before["participations"], before["participants"]) == (3, 2)

    participant_merge(keep=keep, merge=merge)

    after = summary(Filters())
    assert (after["participations"], after["participants"]) == (3, 1)
    assert after["by_gender"]["female"]["participations"] == 3


def test_merge_participants_command_merges_and_says_what_moved(pair):
    keep, merge = pair
    EnrolmentFactory(participant=merge)
    out = StringIO()

    call_command("merge_participants", "--keep", keep.pk, "--merge", merge.pk, stdout=out)

    assert out.getvalue().strip() == (
        f"merged #{merge.pk} into #{keep.pk} Осмонова Айгүл: 1 enrolment(s) moved, 0 combined"
    )
    assert keep.enrolments.count() == 1
    assert ParticipantMerge.objects.get().merged_by is None


def test_merge_participants_command_reports_a_missing_id_and_a_refusal(pair):
    keep, _ = pair

    with pytest.raises(CommandError, match="no participant has the id 999999"):
        call_command("merge_participants", "--keep", keep.pk, "--merge", 999999)
    with pytest.raises(CommandError, match="two different"):
        call_command("merge_participants", "--keep", keep.pk, "--merge", keep.pk)

    assert Participant.objects.count() == 2


CHANGELIST = "admin:participants_participant_changelist"


def act(client, people, **extra):
    data = {"action": "merge_two", ACTION_CHECKBOX_NAME: [p.pk for p in people], **extra}
    return client.post(reverse(CHANGELIST), data)


def test_admin_action_asks_which_record_to_keep_before_merging(admin_client, pair):
    keep, merge = pair
    EnrolmentFactory(participant=keep)

    response = act(admin_client, [keep, merge])

    assert response.status_code == 200
    assert response.template_name == "admin/participants/merge_confirmation.html"
    page = response.content.decode()
    assert "same name in another alphabet" in page
    assert f'value="{keep.pk}" id="keep-{keep.pk}"\n             checked' in page
    assert Participant.objects.count() == 2


def test_admin_action_merges_into_the_chosen_record_and_records_the_user(admin_client, pair):
    keep, merge = pair
    moved = EnrolmentFactory(participant=keep)

    response = act(admin_client, [keep, merge], post="yes", keep=merge.pk)

    assert response.status_code == 302
    assert list(Participant.objects.values_list("pk", flat=True)) == [merge.pk]
    moved.refresh_from_db()
    assert moved.participant_id == merge.pk
    record = ParticipantMerge.objects.get()
    assert (record.merged_id, record.merged_by.username) == (keep.pk, "admin")
    messages = [str(m) for m in admin_client.get(reverse(CHANGELIST)).context["messages"]]
    assert any("1 enrolment(s) moved" in m for m in messages)


def test_admin_action_refuses_other_than_two_and_reports_a_refused_merge(admin_client, pair):
    keep, merge = pair
    session = SessionFactory()
    EnrolmentFactory(participant=keep, session=session, pre_score=Decimal(10))
    EnrolmentFactory(participant=merge, session=session, pre_score=Decimal(20))

    act(admin_client, [keep])
    response = act(admin_client, [keep, merge], post="yes", keep=keep.pk)

    assert response.status_code == 302
    messages = [str(m) for m in admin_client.get(reverse(CHANGELIST)).context["messages"]]
    assert any("Select exactly two" in m for m in messages)
    assert any(m.startswith("Nothing was merged: The two records have different") for m in messages)
    assert Participant.objects.count() == 2


def test_merge_history_is_read_only_in_the_admin(admin_client, pair):
    keep, merge = pair
    record = participant_merge(keep=keep, merge=merge)

    listing = admin_client.get(reverse("admin:participants_participantmerge_changelist"))
    detail = admin_client.get(
        reverse("admin:participants_participantmerge_change", args=[record.pk])
    )
    add = admin_client.get(reverse("admin:participants_participantmerge_add"))

    assert "Osmonova Aigul Bakytovna" in listing.content.decode()
    assert "a.osmonova@donor.org" in detail.content.decode()
    assert add.status_code == 403


def test_an_organiser_may_merge_in_the_admin_and_a_trainer_may_not(client, pair):
    keep, merge = pair
    organiser, trainer = UserFactory(is_staff=True), UserFactory(is_staff=True)
    organiser.groups.add(Group.objects.get(name=roles.ORGANISER))
    trainer.groups.add(Group.objects.get(name=roles.TRAINER))

    client.force_login(trainer)
    act(client, [keep, merge], post="yes", keep=keep.pk)
    assert Participant.objects.count() == 2

    client.force_login(organiser)
    act(client, [keep, merge], post="yes", keep=keep.pk)
    assert list(Participant.objects.values_list("pk", flat=True)) == [keep.pk]
    assert ParticipantMerge.objects.get().merged_by == organiser
