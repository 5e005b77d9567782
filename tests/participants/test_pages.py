"""The participant pages: directory filters, a person's history, duplicates and merging."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from participants.models import Participant, ParticipantMerge
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
    signed_in,
)
from trainings import roles
from trainings.models import Enrolment, Session

pytestmark = pytest.mark.django_db

LIST = reverse("participants:participant_list")
DUPLICATES = reverse("participants:duplicate_list")
MERGE = reverse("participants:participant_merge")


@pytest.fixture
def organiser(client):
    return signed_in(client, roles.ORGANISER)


def names(response) -> set[str]:
    return {p.full_name for p in response.context["people"]}


def detail(person) -> str:
    return reverse("participants:participant_detail", args=[person.pk])


def merge_url(a, b) -> str:
    return f"{MERGE}?a={a.pk}&b={b.pk}"


# --- access ----------------------------------------------------------------------------------


def test_me_officer_reads_the_directory_and_a_person_but_not_duplicates_or_merge(client):
    one, two = ParticipantFactory(), ParticipantFactory()
    signed_in(client, roles.ME_OFFICER)
    assert client.get(LIST).status_code == 200
    assert client.get(detail(one)).status_code == 200
    assert client.get(DUPLICATES).status_code == 403
    assert client.get(merge_url(one, two)).status_code == 403
    response = client.post(MERGE, {"a": one.pk, "b": two.pk, "keep": one.pk})
    assert response.status_code == 403
    assert Participant.objects.count() == 2


def test_trainer_is_refused_every_participant_page(client):
    one, two = ParticipantFactory(), ParticipantFactory()
    signed_in(client, roles.TRAINER)
    for url in (LIST, detail(one), DUPLICATES, merge_url(one, two)):
        assert client.get(url).status_code == 403, url


def test_anonymous_is_sent_to_sign_in(client):
    one, two = ParticipantFactory(), ParticipantFactory()
    for url in (LIST, detail(one), DUPLICATES, merge_url(one, two)):
        response = client.get(url)
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("role", [roles.ORGANISER, roles.ADMINISTRATOR])
def test_planners_reach_every_page(client, role):
    one, two = ParticipantFactory(), ParticipantFactory()
    signed_in(client, role)
    for url in (LIST, detail(one), DUPLICATES, merge_url(one, two)):
        assert client.get(url).status_code == 200, url


# --- directory -------------------------------------------------------------------------------


def test_search_finds_cyrillic_names_in_any_case(client, organiser):
    ParticipantFactory(last_name="Осмонова", first_name="Айгүл")
    ParticipantFactory(last_name="Жумабеков", first_name="Нурлан")
    response = client.get(LIST, {"q": "айгүл"})
    assert names(response) == {"Осмонова Айгүл"}
    assert "1 participant" in response.content.decode()
    assert names(client.get(LIST, {"q": "ОСМОНОВА айгүл"})) == {"Осмонова Айгүл"}


def test_search_matches_email_and_every_word(client, organiser):
    ParticipantFactory(last_name="Ivanova", first_name="Anna", email="anna@court.kg")
    ParticipantFactory(last_name="Ivanova", first_name="Maria", email="maria@example.org")
    assert names(client.get(LIST, {"q": "COURT.kg"})) == {"Ivanova Anna"}
    assert names(client.get(LIST, {"q": "ivanova maria"})) == {"Ivanova Maria"}


def test_agency_and_agency_type_filters(client, organiser):
    court = AgencyFactory(name="Верховный суд", type=agency_type("Court"))
    police = AgencyFactory(name="Police Academy", type=agency_type("Police"))
    ParticipantFactory(last_name="Judge", agency=court)
    ParticipantFactory(last_name="Officer", agency=police)
    assert {p.last_name for p in client.get(LIST, {"agency": "ВЕРХОВНЫЙ"}).context["people"]} == {
        "Judge"
    }
    response = client.get(LIST, {"agency_type": agency_type("Police").pk})
    assert {p.last_name for p in response.context["people"]} == {"Officer"}


def test_region_and_gender_filters(client, organiser):
    ParticipantFactory(last_name="A", gender=gender("female"), region=region("Osh"))
    ParticipantFactory(last_name="B", gender=gender("male"), region=region("Osh"))
    ParticipantFactory(last_name="C", gender=gender("female"), region=region("Naryn"))
    response = client.get(LIST, {"region": region("Osh").pk})
    assert {p.last_name for p in response.context["people"]} == {"A", "B"}
    response = client.get(LIST, {"region": region("Osh").pk, "gender": gender("female").pk})
    assert {p.last_name for p in response.context["people"]} == {"A"}


def test_course_filter_keeps_people_with_a_counted_enrolment(client, organiser):
    course = CourseFactory(code="HR1")
    session = SessionFactory(course=course)
    cancelled = SessionFactory(course=course, status=Session.Status.CANCELLED)
    attended = EnrolmentFactory(session=session).participant
    EnrolmentFactory(session=session, status=Enrolment.Status.WITHDRAWN)
    EnrolmentFactory(session=session, status=Enrolment.Status.WAITLISTED)
    EnrolmentFactory(session=cancelled)
    EnrolmentFactory()  # another course
    response = client.get(LIST, {"course": course.pk})
    assert [p.pk for p in response.context["people"]] == [attended.pk]


def test_columns_count_participations_and_valid_certificates(client, organiser):
    person = ParticipantFactory(birth_year=1990)
    first = EnrolmentFactory(participant=person)
    EnrolmentFactory(participant=person)
    EnrolmentFactory(participant=person, status=Enrolment.Status.WITHDRAWN)
    CertificateFactory(enrolment=first)
    CertificateFactory(enrolment=first, revoked=True, revoked_on=date(2025, 4, 1))
    (row,) = client.get(LIST).context["people"]
    assert (row.participations, row.certificates) == (2, 1)
    html = client.get(LIST).content.decode()
    assert "1990" in html and "Ministry" in html


def test_pagination_keeps_the_filters(client, organiser):
    ParticipantFactory.create_batch(55, region=region("Talas"))
    ParticipantFactory.create_batch(3, region=region("Naryn"))
    response = client.get(LIST, {"region": region("Talas").pk})
    assert response.context["page_obj"].paginator.count == 55
    assert len(response.context["people"]) == 50
    html = response.content.decode()
    assert f"region={region('Talas').pk}&amp;page=2" in html
    assert "55 participants" in html
    second = client.get(LIST, {"region": region("Talas").pk, "page": 2})
    assert len(second.context["people"]) == 5
    assert all(p.region_id == region("Talas").pk for p in second.context["people"])


def test_empty_states(client, organiser):
    response = client.get(LIST)
    assert "No participants yet" in response.content.decode()
    ParticipantFactory(last_name="Someone")
    response = client.get(LIST, {"q": "nobody-like-this"})
    html = response.content.decode()
    assert "0 participants" in html
    assert "Nobody matches these filters" in html


def test_invalid_filter_is_reported_and_the_other_filters_still_apply(client, organiser):
    ParticipantFactory(last_name="Kept", gender=gender("male"))
    ParticipantFactory(last_name="Left", gender=gender("female"))
    response = client.get(LIST, {"region": "999999", "gender": gender("male").pk})
    assert response.status_code == 200
    assert "not understood" in response.content.decode()
    assert {p.last_name for p in response.context["people"]} == {"Kept"}


@pytest.mark.parametrize("count", [1, 30])
def test_directory_query_count_is_flat(client, organiser, django_assert_max_num_queries, count):
    for _ in range(count):
        enrolment = EnrolmentFactory(participant=ParticipantFactory())
        CertificateFactory(enrolment=enrolment)
    with django_assert_max_num_queries(12):
        response = client.get(LIST, {"gender": gender("female").pk})
    assert len(response.context["people"]) == count


# --- a person --------------------------------------------------------------------------------


def test_person_page_shows_record_consent_history_percents_and_certificate(client, organiser):
    from django.utils import timezone

    person = ParticipantFactory(
        last_name="Осмонова",
        first_name="Айгүл",
        phone="+996 555 123456",
        consent=True,
        consent_at=timezone.now(),
    )
    session = SessionFactory(code="HR-2025-01", max_score=Decimal(40))
    enrolment = EnrolmentFactory(
        participant=person, session=session, pre_score=Decimal(10), post_score=Decimal(30)
    )
    attend(enrolment, 2)
    certificate = CertificateFactory(enrolment=enrolment, number="BIL-2025-0007")
    EnrolmentFactory(participant=person, status=Enrolment.Status.WITHDRAWN)

    response = client.get(detail(person))
    html = response.content.decode()
    assert "Осмонова Айгүл" in html
    assert "+996 555 123456" in html and person.email in html
    assert "Given" in html
    assert reverse("trainings:session_detail", args=["HR-2025-01"]) in html
    assert "25.0%" in html and "75.0%" in html and "+50.0" in html
    assert "2 of 3" in html
    assert "BIL-2025-0007" in html and "Valid" in html
    assert reverse("certificates:verify", args=[certificate.code]) in html
    assert "1 session attended" in html
    (row,) = [r for r in response.context["history"] if r.session == session]
    assert (row.pre_percent, row.post_percent, row.gain) == (
        Decimal("25.0"),
        Decimal("75.0"),
        Decimal("50.0"),
    )


def test_person_page_shows_a_revoked_certificate_as_revoked(client, organiser):
    enrolment = EnrolmentFactory()
    CertificateFactory(
        enrolment=enrolment, revoked=True, revoked_on=date(2025, 4, 1), revoked_reason="Error"
    )
    html = client.get(detail(enrolment.participant)).content.decode()
    assert "Revoked" in html


def test_unknown_person_is_404(client, organiser):
    assert client.get(reverse("participants:participant_detail", args=[999999])).status_code == 404


@pytest.mark.parametrize("count", [1, 30])
def test_person_page_query_count_is_flat(client, organiser, django_assert_max_num_queries, count):
    person = ParticipantFactory()
    for _ in range(count):
        enrolment = EnrolmentFactory(participant=person, pre_score=10, post_score=20)
        attend(enrolment, 2)
        CertificateFactory(enrolment=enrolment)
    with django_assert_max_num_queries(10):
        response = client.get(detail(person))
    assert len(response.context["history"]) == count


# --- duplicates and merging ------------------------------------------------------------------


@pytest.fixture
def aigul_pair():
    cyrillic = ParticipantFactory(
        last_name="Осмонова", first_name="Айгүл", email="aigul@example.kg", birth_year=1990
    )
    latin = ParticipantFactory(
        last_name="Osmonova", first_name="Aigul", email="a.osmonova@donor.org", birth_year=1990
    )
    return cyrillic, latin


def test_duplicates_page_shows_the_cyrillic_latin_pair_with_its_reason(
    client, organiser, aigul_pair
):
    cyrillic, latin = aigul_pair
    ParticipantFactory(last_name="Жумабеков", first_name="Нурлан")
    EnrolmentFactory(participant=latin)
    response = client.get(DUPLICATES)
    html = response.content.decode()
    (pair,) = response.context["pairs"]
    assert {pair["first"].pk, pair["second"].pk} == {cyrillic.pk, latin.pk}
    assert "same name in another alphabet" in html
    assert "aigul@example.kg" in html and "a.osmonova@donor.org" in html
    assert f"?a={cyrillic.pk}&amp;b={latin.pk}" in html
    assert "Жумабеков" not in html


def test_duplicates_page_empty_state(client, organiser):
    ParticipantFactory(last_name="Alone")
    assert "No likely duplicates" in client.get(DUPLICATES).content.decode()


def test_duplicates_page_is_capped(client, organiser, monkeypatch):
    from participants import views

    monkeypatch.setattr(views, "SUGGESTION_CAP", 2)
    for n in range(4):
        ParticipantFactory(last_name=f"Ivanov{n}", first_name="Pyotr")
        ParticipantFactory(last_name=f"Иванов{n}", first_name="Пётр")
    response = client.get(DUPLICATES)
    assert len(response.context["pairs"]) == 2
    assert "Only the 2 likeliest pairs are shown" in response.content.decode()


@pytest.mark.parametrize("count", [1, 30])
def test_duplicates_query_count_is_flat(client, organiser, django_assert_max_num_queries, count):
    for n in range(count):
        ParticipantFactory(last_name=f"Surname{n}", first_name="Aidana", birth_year=None)
        ParticipantFactory(last_name=f"Surname{n}", first_name="Aidanna", birth_year=None)
    with django_assert_max_num_queries(10):
        response = client.get(DUPLICATES)
    assert len(response.context["pairs"]) >= count


def test_merge_page_shows_both_records_and_their_enrolments(client, organiser, aigul_pair):
    cyrillic, latin = aigul_pair
    EnrolmentFactory(participant=latin, session=SessionFactory(code="OSH-01"))
    response = client.get(merge_url(cyrillic, latin))
    html = response.content.decode()
    assert "Осмонова Айгүл" in html and "Osmonova Aigul" in html
    assert "OSH-01" in html
    assert "same name in another alphabet" in html
    assert 'name="keep"' in html
    # By default the record with more sessions is kept.
    assert response.context["form"].initial["keep"] == latin.pk


def test_merge_moves_every_enrolment_and_records_it(client, organiser, aigul_pair):
    cyrillic, latin = aigul_pair
    kept_enrolment = EnrolmentFactory(participant=cyrillic)
    moved = [EnrolmentFactory(participant=latin) for _ in range(2)]

    response = client.post(MERGE, {"a": cyrillic.pk, "b": latin.pk, "keep": cyrillic.pk})

    assert response.status_code == 302
    assert response["Location"] == detail(cyrillic)
    assert not Participant.objects.filter(pk=latin.pk).exists()
    assert set(cyrillic.enrolments.values_list("pk", flat=True)) == {
        kept_enrolment.pk,
        *(e.pk for e in moved),
    }
    record = ParticipantMerge.objects.get()
    assert (record.kept, record.merged_id, record.merged_by) == (cyrillic, latin.pk, organiser)
    page = client.get(response["Location"])
    html = page.content.decode()
    assert f"Osmonova Aigul (#{latin.pk}) was merged into Осмонова Айгүл" in html
    assert "2 enrolments moved" in html
    assert "Records merged into this one" in html
    assert len(page.context["history"]) == 3


def test_merge_error_is_shown_and_nothing_changes(client, organiser, aigul_pair):
    cyrillic, latin = aigul_pair
    session = SessionFactory(code="HR-77")
    CertificateFactory(enrolment=EnrolmentFactory(participant=cyrillic, session=session))
    CertificateFactory(enrolment=EnrolmentFactory(participant=latin, session=session))

    response = client.post(MERGE, {"a": cyrillic.pk, "b": latin.pk, "keep": cyrillic.pk})

    assert response.status_code == 200
    html = response.content.decode()
    assert "Nothing was merged." in html and "HR-77" in html and 'role="alert"' in html
    assert Participant.objects.filter(pk__in=[cyrillic.pk, latin.pk]).count() == 2
    assert Enrolment.objects.filter(participant=latin).count() == 1
    assert not ParticipantMerge.objects.exists()


def test_merge_without_a_choice_is_a_form_error(client, organiser, aigul_pair):
    cyrillic, latin = aigul_pair
    response = client.post(MERGE, {"a": cyrillic.pk, "b": latin.pk})
    assert response.status_code == 200
    assert "Choose the record to keep." in response.content.decode()
    other = ParticipantFactory()
    response = client.post(MERGE, {"a": cyrillic.pk, "b": latin.pk, "keep": other.pk})
    assert response.status_code == 200
    assert Participant.objects.count() == 3
    assert not ParticipantMerge.objects.exists()


@pytest.mark.parametrize(
    "query",
    ["", "?a=1", "?a=x&b=2", "?a={a}&b={a}", "?a={a}&b=999999"],
    ids=["none", "one", "not-a-number", "same", "unknown"],
)
def test_merge_page_needs_two_existing_different_people(client, organiser, query):
    person = ParticipantFactory()
    response = client.get(MERGE + query.format(a=person.pk))
    assert response.status_code == 404
    response = client.post(MERGE + query.format(a=person.pk), {"keep": person.pk})
    assert response.status_code in (404, 200)
    assert Participant.objects.filter(pk=person.pk).exists()


def test_merge_of_two_enrolments_in_one_session_combines_them_and_says_so(
    client, organiser, aigul_pair
):
    cyrillic, latin = aigul_pair
    session = SessionFactory(code="HR-88")
    EnrolmentFactory(participant=cyrillic, session=session, pre_score=Decimal(50))
    EnrolmentFactory(participant=latin, session=session, post_score=Decimal(80))

    response = client.post(MERGE, {"a": cyrillic.pk, "b": latin.pk, "keep": latin.pk}, follow=True)

    html = response.content.decode()
    assert "1 enrolment combined with one in the same session." in html
    (enrolment,) = Enrolment.objects.filter(session=session)
    assert enrolment.participant_id == latin.pk
    assert (enrolment.pre_score, enrolment.post_score) == (Decimal(50), Decimal(80))
    assert not Participant.objects.filter(pk=cyrillic.pk).exists()
