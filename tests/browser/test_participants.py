"""An organiser finds people in the directory, reads a history, and merges a Cyrillic/Latin pair."""

import re

import pytest

from participants.models import Participant, ParticipantMerge
from tests.factories import EnrolmentFactory, ParticipantFactory, SessionFactory, gender, region

pytestmark = pytest.mark.django_db(transaction=True)


def test_organiser_filters_reads_and_merges_a_duplicate(
    live_server, page, user_with_role, sign_in, shoot
):
    organiser = user_with_role("Organiser", username="organiser1")
    cyrillic = ParticipantFactory(
        last_name="Осмонова",
        first_name="Айгүл",
        email="aigul@example.kg",
        phone="+996 555 123 456",
        birth_year=1990,
        gender=gender("female"),
        region=region("Osh"),
    )
    latin = ParticipantFactory(
        last_name="Osmonova",
        first_name="Aigul",
        email="a.osmonova@donor.org",
        birth_year=1990,
        gender=gender("female"),
        region=region("Osh"),
    )
    ParticipantFactory(last_name="Жумабеков", first_name="Нурлан", gender=gender("male"))
    ParticipantFactory(last_name="Sadykova", first_name="Elmira", region=region("Naryn"))
    first = EnrolmentFactory(
        participant=cyrillic, session=SessionFactory(code="OSH-2025-01"), pre_score=40
    )
    second = EnrolmentFactory(participant=latin, session=SessionFactory(code="BSK-2025-02"))

    sign_in(page, organiser)
    page.get_by_role("link", name="Participants").first.click()
    page.get_by_label("Gender").select_option(label="Female")
    page.get_by_label("Region").select_option(label="Osh")
    page.get_by_role("button", name="Show").click()
    page.wait_for_load_state()
    assert "2 participants" in page.get_by_role("heading", level=2).first.inner_text()
    rows = page.locator("table.directory tbody tr")
    assert rows.count() == 2
    assert "Жумабеков" not in page.content() and "Sadykova" not in page.content()
    shoot(page, "participants-directory")

    page.get_by_role("link", name="Осмонова Айгүл").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Осмонова Айгүл", level=1).is_visible()
    assert page.get_by_role("link", name="OSH-2025-01").is_visible()
    assert "40.0%" in page.content()
    shoot(page, "participants-person")

    page.get_by_role("link", name="Duplicates").first.click()
    page.wait_for_load_state()
    pair = page.locator("li.pair").filter(has_text="Aigul")
    assert pair.count() == 1
    assert "same name in another alphabet" in pair.inner_text()
    shoot(page, "participants-duplicates")

    pair.get_by_role("link", name=re.compile("Review and merge")).click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Merge two participants").is_visible()
    page.get_by_label("Keep Осмонова Айгүл").check()
    shoot(page, "participants-merge")
    page.get_by_role("button", name="Merge the two records").click()
    page.wait_for_load_state()

    assert page.get_by_role("heading", name="Осмонова Айгүл", level=1).is_visible()
    assert "was merged into" in page.get_by_role("status").inner_text()
    assert page.get_by_role("link", name="OSH-2025-01").is_visible()
    assert page.get_by_role("link", name="BSK-2025-02").is_visible()
    assert "Records merged into this one" in page.content()
    shoot(page, "participants-merged")

    assert list(Participant.objects.filter(last_name__in=["Осмонова", "Osmonova"])) == [cyrillic]
    assert set(cyrillic.enrolments.values_list("pk", flat=True)) == {first.pk, second.pk}
    assert ParticipantMerge.objects.get().merged_id == latin.pk
