"""Admin: issuing, revoking and downloading certificates, designs, and who may do what."""

import datetime as dt
import io
import zipfile

import pytest
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from certificates.models import Certificate, CertificateDesign
from certificates.services import certificates_issue
from tests.factories import (
    EnrolmentFactory,
    ParticipantFactory,
    SessionFactory,
    UserFactory,
    attend,
)
from trainings import roles
from trainings.models import Session

pytestmark = pytest.mark.django_db

SESSIONS = reverse("admin:trainings_session_changelist")
CERTIFICATES = reverse("admin:certificates_certificate_changelist")


def pdf_text(content: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(content))
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def staff(role: str):
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def session():
    """A three-day session: two people who earn a certificate and one who missed two days."""
    session = SessionFactory(
        code="UPR-2025-03",
        course__title="UN human rights mechanisms",
        start_date=dt.date(2025, 3, 10),
        end_date=dt.date(2025, 3, 12),
    )
    for last, first, days in (("Abdyrakhmanova", "Aida", 3), ("Bekov", "Timur", 3)):
        attend(
            EnrolmentFactory(
                session=session,
                participant=ParticipantFactory(last_name=last, first_name=first),
                post_score=80,
            ),
            days,
        )
    attend(
        EnrolmentFactory(
            session=session,
            participant=ParticipantFactory(last_name="Chynybaev", first_name="Nurlan"),
            post_score=90,
        ),
        1,
    )
    return session


@pytest.fixture
def issued(session):
    return certificates_issue(session=session).issued


def act(client, url: str, action: str, objects, **extra):
    data = {"action": action, "_selected_action": [o.pk for o in objects], **extra}
    return client.post(url, data, follow=not extra.get("_download"))


# --- issuing -----------------------------------------------------------------------------------


def test_issue_action_issues_to_the_eligible_and_says_how_many(admin_client, session):
    assert not Certificate.objects.exists()

    response = act(admin_client, SESSIONS, "issue_certificates", [session])

    assert Certificate.objects.filter(enrolment__session=session).count() == 2
    assert "UPR-2025-03: issued 2, already issued 0, not eligible 1" in messages_of(response)

    again = act(admin_client, SESSIONS, "issue_certificates", [session])

    assert Certificate.objects.count() == 2
    assert "UPR-2025-03: issued 0, already issued 2, not eligible 1" in messages_of(again)


def test_organiser_may_issue_but_mne_officer_may_not(client, session):
    client.force_login(staff(roles.ME_OFFICER))
    page = client.get(SESSIONS)
    assert page.status_code == 200
    assert 'value="issue_certificates"' not in page.content.decode()
    assert 'value="download_certificates_pdf"' in page.content.decode()

    act(client, SESSIONS, "issue_certificates", [session])
    assert not Certificate.objects.exists()

    client.force_login(staff(roles.ORGANISER))
    act(client, SESSIONS, "issue_certificates", [session])
    assert Certificate.objects.count() == 2


# --- downloads ---------------------------------------------------------------------------------


def test_session_certificates_download_as_one_pdf_with_a_page_each(client, issued, session):
    client.force_login(staff(roles.ME_OFFICER))

    response = act(client, SESSIONS, "download_certificates_pdf", [session], _download=1)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "certificates-UPR-2025-03.pdf" in response["Content-Disposition"]
    pages, text = pdf_text(response.content)
    assert pages == 2
    assert "Abdyrakhmanova" in text and "Bekov" in text and "Chynybaev" not in text


def test_session_certificates_download_as_a_zip_of_one_pdf_each(admin_client, issued, session):
    response = act(admin_client, SESSIONS, "download_certificates_zip", [session], _download=1)

    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert sorted(archive.namelist()) == ["UPR-2025-03-001.pdf", "UPR-2025-03-002.pdf"]
    for name in archive.namelist():
        pages, text = pdf_text(archive.read(name))
        assert pages == 1
        assert name.removesuffix(".pdf") in text


def test_revoked_certificates_are_left_out_of_session_downloads(admin_client, issued, session):
    first, second = sorted(issued, key=lambda c: c.number)
    Certificate.objects.filter(pk=first.pk).update(
        revoked=True, revoked_on=timezone.localdate(), revoked_reason="Typo"
    )

    response = act(admin_client, SESSIONS, "download_certificates_zip", [session], _download=1)

    assert zipfile.ZipFile(io.BytesIO(response.content)).namelist() == [f"{second.number}.pdf"]


def test_downloading_certificates_of_a_session_without_any_says_to_issue_first(
    admin_client, session
):
    response = act(admin_client, SESSIONS, "download_certificates_pdf", [session])

    assert response["Content-Type"].startswith("text/html")
    assert any("issue them first" in m for m in messages_of(response))


def test_sign_in_sheets_download_is_a_pdf_with_the_participants(client, session):
    client.force_login(staff(roles.ME_OFFICER))

    response = act(client, SESSIONS, "download_sign_in_sheets", [session], _download=1)

    assert response["Content-Type"] == "application/pdf"
    pages, text = pdf_text(response.content)
    assert pages == 3  # one per training day
    assert "Abdyrakhmanova" in text and "Chynybaev" in text


def test_sign_in_sheets_of_two_sessions_come_in_one_pdf(admin_client, session):
    other = SessionFactory(start_date=dt.date(2025, 4, 1), end_date=dt.date(2025, 4, 2))
    EnrolmentFactory(session=other, participant=ParticipantFactory(last_name="Dzhusupova"))

    response = act(admin_client, SESSIONS, "download_sign_in_sheets", [session, other], _download=1)

    pages, text = pdf_text(response.content)
    assert pages == 5
    assert "Bekov" in text and "Dzhusupova" in text


def test_certificate_pdf_action_and_link_hold_the_name(client, issued):
    client.force_login(staff(roles.ME_OFFICER))
    certificate = min(issued, key=lambda c: c.number)

    one = act(client, CERTIFICATES, "download_pdf", [certificate], _download=1)
    link = client.get(reverse("admin:certificates_certificate_pdf", args=[certificate.pk]))
    both = act(client, CERTIFICATES, "download_pdf", issued, _download=1)

    for response in (one, link):
        assert response["Content-Type"] == "application/pdf"
        pages, text = pdf_text(response.content)
        assert pages == 1
        assert "Abdyrakhmanova" in text and certificate.number in text
    assert pdf_text(both.content)[0] == 2


def test_certificate_pdf_link_needs_the_view_permission(client, issued):
    client.force_login(UserFactory(is_staff=True))

    response = client.get(reverse("admin:certificates_certificate_pdf", args=[issued[0].pk]))

    # Staff without a reading role are not admitted to the admin at all: sent to sign in.
    assert response.status_code == 302
    assert "/login/" in response["Location"]


# --- revoking ----------------------------------------------------------------------------------


def test_revoke_asks_for_a_reason_then_revokes_with_it(admin_client, issued):
    certificate = issued[0]

    form = act(admin_client, CERTIFICATES, "revoke", [certificate])
    assert form.status_code == 200
    assert 'name="reason"' in form.content.decode()
    certificate.refresh_from_db()
    assert not certificate.revoked

    response = act(
        admin_client, CERTIFICATES, "revoke", [certificate], apply="1", reason="Misspelt"
    )

    certificate.refresh_from_db()
    assert certificate.revoked
    assert certificate.revoked_on == timezone.localdate()
    assert certificate.revoked_reason == "Misspelt"
    assert "1 certificate(s) revoked." in messages_of(response)


def test_revoke_without_a_reason_revokes_nothing(admin_client, issued):
    response = act(admin_client, CERTIFICATES, "revoke", issued, apply="1", reason="  ")

    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    assert not Certificate.objects.filter(revoked=True).exists()


def test_revoking_an_already_revoked_certificate_warns_and_keeps_the_first_reason(
    admin_client, issued
):
    act(admin_client, CERTIFICATES, "revoke", issued[:1], apply="1", reason="First")

    response = act(admin_client, CERTIFICATES, "revoke", issued, apply="1", reason="Second")

    reasons = dict(Certificate.objects.values_list("pk", "revoked_reason"))
    assert reasons == {issued[0].pk: "First", issued[1].pk: "Second"}
    assert any("already revoked" in m for m in messages_of(response))


def test_mne_officer_cannot_revoke(client, issued):
    client.force_login(staff(roles.ME_OFFICER))

    act(client, CERTIFICATES, "revoke", issued, apply="1", reason="No")

    assert not Certificate.objects.filter(revoked=True).exists()


# --- the certificate's own pages ---------------------------------------------------------------


def test_change_page_is_read_only_and_links_to_the_verification_page(admin_client, issued):
    certificate = issued[0]

    html = admin_client.get(
        reverse("admin:certificates_certificate_change", args=[certificate.pk])
    ).content.decode()

    assert reverse("certificates:verify", args=[certificate.code]) in html
    assert certificate.number in html
    assert 'name="number"' not in html and 'name="revoked"' not in html


def test_adding_by_hand_issues_through_the_service_and_refuses_the_ineligible(
    admin_client, session
):
    add = reverse("admin:certificates_certificate_add")
    eligible, _, absent = session.enrolments.order_by("participant__last_name")

    refused = admin_client.post(add, {"enrolment": absent.pk, "issued_on": ""})
    assert refused.status_code == 200
    assert "Not eligible for a certificate: attended 1 of 3 days" in refused.content.decode()
    assert not Certificate.objects.exists()

    response = admin_client.post(add, {"enrolment": eligible.pk, "issued_on": "2025-03-14"})

    assert response.status_code == 302
    certificate = Certificate.objects.get()
    assert certificate.number == "UPR-2025-03-001"
    assert certificate.issued_on == dt.date(2025, 3, 14)
    assert len(certificate.code) == 16


# --- designs and the session form --------------------------------------------------------------


def test_design_is_created_with_a_logo_and_signatories(admin_client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'
    data = {
        "name": "Programme",
        "issuer": "Human Rights Training Programme",
        "issuer_ru": "",
        "issuer_ky": "",
        "logo": SimpleUploadedFile("emblem.svg", svg, content_type="image/svg+xml"),
        "signatories-TOTAL_FORMS": "1",
        "signatories-INITIAL_FORMS": "0",
        "signatories-0-name": "Asel Dzhumabaeva",
        "signatories-0-title": "Programme Director",
        "signatories-0-signature": SimpleUploadedFile("sig.png", b"\x89PNG", "image/png"),
        "signatories-0-order": "1",
    }

    response = admin_client.post(reverse("admin:certificates_certificatedesign_add"), data)

    assert response.status_code == 302
    design = CertificateDesign.objects.get()
    assert design.logo.name.startswith("certificates/logos/emblem")
    assert (tmp_path / design.logo.name).read_bytes() == svg
    assert [s.name for s in design.signatories.all()] == ["Asel Dzhumabaeva"]


def test_session_form_offers_certificate_settings_and_day_scans(admin_client, session):
    html = admin_client.get(
        reverse("admin:trainings_session_change", args=[session.pk])
    ).content.decode()

    for name in ("certificate_language", "certificate_design", "training_hours"):
        assert f'name="{name}"' in html
    assert 'name="days-0-sign_in_scan"' in html
    assert 'enctype="multipart/form-data"' in html
    assert Session.objects.get(pk=session.pk).certificate_language == "en"
