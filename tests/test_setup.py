"""The installation itself: reference lists, roles and migrations."""

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from participants.models import AgencyType, Gender, Region


@pytest.mark.django_db
def test_reference_lists_are_seeded_by_migration():
    assert set(Gender.objects.values_list("code", flat=True)) == {
        "female",
        "male",
        "other",
        "undisclosed",
    }
    assert AgencyType.objects.filter(name="Prosecution").exists()
    assert AgencyType.objects.count() == 13
    assert set(Region.objects.values_list("name", flat=True)) >= {"Batken", "Osh city", "Chui"}


@pytest.mark.django_db
def test_roles_exist_with_permissions():
    me = Group.objects.get(name="M&E officer")
    assert me.permissions.filter(codename="view_participant").exists()
    assert not me.permissions.filter(codename__startswith="change_").exists()
    trainer = Group.objects.get(name="Trainer")
    assert trainer.permissions.filter(codename="change_enrolment").exists()
    assert not trainer.permissions.filter(codename="add_session").exists()


@pytest.mark.django_db
def test_no_model_change_lacks_a_migration():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


@pytest.mark.django_db
def test_model_validation_reports_missing_links_instead_of_crashing():
    from django.core.exceptions import ValidationError

    from trainings.models import Attendance, Enrolment, TrainingDay

    for record, missing in (
        (TrainingDay(), "session"),
        (Enrolment(status="registered"), "session"),
        (Attendance(), "enrolment"),
    ):
        with pytest.raises(ValidationError) as error:
            record.full_clean()
        assert missing in error.value.message_dict
