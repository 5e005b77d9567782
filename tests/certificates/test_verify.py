"""The public verification page: valid, revoked, unknown, typed by hand, and slowed down."""

import datetime as dt
from decimal import Decimal

import pytest
from django.test import override_settings
from django.urls import reverse

from certificates.models import CertificateDesign
from tests.factories import (
    AgencyFactory,
    CertificateFactory,
    EnrolmentFactory,
    ParticipantFactory,
    SessionFactory,
)

pytestmark = pytest.mark.django_db

CODE = "K7QMW2XBR9TFHN4P"


@pytest.fixture
def certificate():
    person = ParticipantFactory(
        last_name="Сыдыкова",
        first_name="Айгүл",
        middle_name="Бакытовна",
        email="aigul.sydykova@justice.example.kg",
        birth_year=1987,
        agency=AgencyFactory(name="Ministry of Justice of the Kyrgyz Republic"),
    )
    CertificateDesign.objects.create(
        name="Programme", issuer="Human Rights Training Programme, Bishkek", is_default=True
    )
    session = SessionFactory(
        code="UPR-2025-03",
        course__title="UN human rights mechanisms",
        start_date=dt.date(2025, 3, 10),
        end_date=dt.date(2025, 3, 12),
    )
    enrolment = EnrolmentFactory(session=session, participant=person, post_score=Decimal("73.50"))
    return CertificateFactory(
        enrolment=enrolment, number="UPR-2025-03-007", code=CODE, issued_on=dt.date(2025, 3, 14)
    )


def verify(client, code: str, address: str = "203.0.113.7"):
    return client.get(reverse("certificates:verify", args=[code]), REMOTE_ADDR=address)


def test_valid_certificate_shows_valid_with_name_course_dates_and_number(client, certificate):
    response = verify(client, CODE)

    html = response.content.decode()
    assert response.status_code == 200
    assert "Valid" in html and "Действителен" in html and "Жарактуу" in html
    assert "Revoked" not in html
    assert "Сыдыкова Айгүл Бакытовна" in html
    assert "UN human rights mechanisms" in html
    assert "10 March 2025" in html and "12 March 2025" in html
    assert "UPR-2025-03-007" in html
    assert "14 March 2025" in html
    assert "Human Rights Training Programme, Bishkek" in html
    assert '<meta name="robots" content="noindex' in html
    assert response["X-Robots-Tag"].startswith("noindex")


def test_revoked_certificate_says_revoked_and_when_but_not_why(client, certificate):
    certificate.revoked = True
    certificate.revoked_on = dt.date(2025, 5, 2)
    certificate.revoked_reason = "Name misspelt; her passport number is AN1234567"
    certificate.save()

    response = verify(client, CODE)

    html = response.content.decode()
    assert response.status_code == 200
    assert "Revoked" in html and "Отозван" in html
    assert "2 May 2025" in html
    assert "Действителен" not in html
    assert "passport" not in html and "AN1234567" not in html


def test_unknown_code_is_a_plain_404(client, certificate):
    response = verify(client, "ABCDEFGHJKMNPQRS")

    assert response.status_code == 404
    html = response.content.decode()
    assert "Not found" in html
    assert "Сыдыкова" not in html


def test_code_typed_in_lower_case_with_dashes_finds_the_certificate(client, certificate):
    response = verify(client, "k7qm-w2xb-r9tf-hn4p")

    assert response.status_code == 200
    assert "Сыдыкова Айгүл Бакытовна" in response.content.decode()


def test_page_shows_nothing_else_about_the_person(client, certificate):
    html = verify(client, CODE).content.decode()

    assert "Сыдыкова" in html  # the page is the right one
    assert "aigul.sydykova" not in html and "@" not in html
    assert "Ministry of Justice" not in html
    assert "1987" not in html
    assert "73.5" not in html and "73,5" not in html  # the post score


def test_lookup_form_redirects_a_typed_code_to_the_canonical_page(client, certificate):
    response = client.get(reverse("certificates:verify_lookup"), {"code": " k7qm-w2xb r9tf-hn4p "})

    assert response.status_code == 302
    assert response["Location"] == reverse("certificates:verify", args=[CODE])


def test_lookup_without_a_code_asks_for_one(client):
    response = client.get(reverse("certificates:verify_lookup"))

    assert response.status_code == 200
    assert 'name="code"' in response.content.decode()


@override_settings(BILIM_VERIFY_MISS_LIMIT=3, BILIM_VERIFY_MISS_WINDOW=600)
def test_misses_from_one_address_are_refused_after_the_limit(
    client, certificate, django_assert_num_queries
):
    statuses = [verify(client, f"WRONGCODE{n}").status_code for n in range(3)]
    assert statuses == [404, 404, 404]

    refused = verify(client, "WRONGCODE4")
    assert refused.status_code == 429
    assert refused["Retry-After"] == "600"
    # Even the right code is not looked up for this address until the window ends.
    with django_assert_num_queries(0):
        assert verify(client, CODE).status_code == 429
    # Another address is not affected.
    assert verify(client, CODE, address="198.51.100.20").status_code == 200


@override_settings(BILIM_VERIFY_MISS_LIMIT=3, BILIM_VERIFY_MISS_WINDOW=600)
def test_hits_do_not_count_towards_the_limit(client, certificate):
    for _ in range(5):
        assert verify(client, CODE).status_code == 200

    assert verify(client, "WRONGCODE").status_code == 404
    assert verify(client, CODE).status_code == 200


@override_settings(BILIM_VERIFY_MISS_LIMIT=2, BILIM_VERIFY_MISS_WINDOW=600)
def test_a_forged_forwarded_for_header_does_not_reset_the_count(client, certificate):
    url = reverse("certificates:verify", args=["WRONGCODE"])
    statuses = [
        client.get(url, REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}").status_code
        for n in range(3)
    ]

    assert statuses == [404, 404, 429]
