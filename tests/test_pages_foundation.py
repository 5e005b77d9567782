"""The pages' foundation: sign-in, start pages per role, permissions, languages, the base layout."""

import ast
import datetime as dt
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from reports.stats import Filters, summary
from tests.factories import (
    CertificateFactory,
    EnrolmentFactory,
    ParticipantFactory,
    SessionFactory,
    attend,
    gender,
    signed_in,
    user_in,
)
from trainings import roles
from trainings.models import Enrolment, Session
from trainings.permissions import (
    RoleRequiredMixin,
    can_change_session,
    role_of,
    roles_of,
    sessions_for,
)

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
START_PAGES = {
    roles.ORGANISER: "/home/organiser/",
    roles.TRAINER: "/home/trainer/",
    roles.ME_OFFICER: "/home/me/",
    roles.ADMINISTRATOR: "/home/administrator/",
}
LOCALE = Path(settings.BASE_DIR) / "locale"


def upcoming_session(days_ahead: int = 10, **kwargs) -> Session:
    start = timezone.localdate() + dt.timedelta(days=days_ahead)
    kwargs.setdefault("status", Session.Status.OPEN)
    return SessionFactory(start_date=start, end_date=start + dt.timedelta(days=1), **kwargs)


def past_session(days_ago: int = 30, **kwargs) -> Session:
    start = timezone.localdate() - dt.timedelta(days=days_ago)
    return SessionFactory(start_date=start, end_date=start + dt.timedelta(days=1), **kwargs)


# --- sign-in and sign-out --------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["/", *START_PAGES.values()], ids=["root", "organiser", "trainer", "me", "admin"]
)
def test_anonymous_is_sent_to_the_login_page(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={url}"


def test_login_page_and_certificate_verification_are_open_to_anonymous(client):
    assert client.get("/accounts/login/").status_code == 200
    assert client.get(reverse("certificates:verify_lookup")).status_code == 200


def test_login_url_is_bilims_own_page_not_the_admins():
    assert reverse(settings.LOGIN_URL) == "/accounts/login/"


@pytest.mark.parametrize("role", list(START_PAGES))
def test_signing_in_lands_each_role_on_its_start_page(client, role):
    user = user_in(role)
    response = client.post(
        "/accounts/login/", {"username": user.username, "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain == [("/", 302), (START_PAGES[role], 302)]
    assert response.status_code == 200
    assert response.context["user"] == user
    assert f"home/{response.templates[0].name.split('/')[-1]}" in {
        "home/organiser.html",
        "home/trainer.html",
        "home/me_officer.html",
        "home/administrator.html",
    }


def test_signing_in_with_a_wrong_password_shows_the_form_again(client):
    user = user_in(roles.ORGANISER)
    response = client.post("/accounts/login/", {"username": user.username, "password": "nope"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert response.context["form"].non_field_errors()


def test_signing_in_honours_next(client):
    user = user_in(roles.ME_OFFICER)
    response = client.post(
        "/accounts/login/?next=/home/me/",
        {"username": user.username, "password": PASSWORD, "next": "/home/me/"},
    )
    assert response["Location"] == "/home/me/"


def test_signing_out_takes_a_post_and_ends_the_session(client):
    signed_in(client, roles.TRAINER)
    assert client.get("/home/trainer/").status_code == 200
    assert client.get("/accounts/logout/").status_code == 405  # a link cannot sign anyone out
    response = client.post("/accounts/logout/")
    assert response["Location"] == "/accounts/login/"
    assert client.get("/home/trainer/").status_code == 302


def test_every_page_has_a_sign_out_form_that_posts(client):
    signed_in(client, roles.ORGANISER)
    html = client.get("/home/organiser/").content.decode()
    assert re.search(r'<form method="post" action="/accounts/logout/"', html)


def test_superuser_without_groups_is_an_administrator(client):
    signed_in(client, None, is_superuser=True, is_staff=True)
    assert client.get("/")["Location"] == "/home/administrator/"


def test_user_without_a_role_is_told_to_ask_for_one(client):
    signed_in(client, None)
    response = client.get("/")
    assert response.status_code == 403
    assert "Your account has no role yet" in response.content.decode()


@pytest.mark.parametrize(
    ("role", "forbidden"),
    [
        (roles.TRAINER, "/home/organiser/"),
        (roles.TRAINER, "/home/me/"),
        (roles.ME_OFFICER, "/home/organiser/"),
        (roles.ORGANISER, "/home/administrator/"),
        (None, "/home/trainer/"),
    ],
)
def test_a_start_page_of_another_role_is_forbidden(client, role, forbidden):
    signed_in(client, role)
    assert client.get(forbidden).status_code == 403


def test_the_admin_signs_in_through_bilims_throttled_page(client):
    """The admin's own sign-in page would skip the failure counts and the two-factor code."""
    user = user_in(roles.ADMINISTRATOR, is_staff=True)
    assert client.get("/admin/")["Location"].startswith("/admin/login/")
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": user.username, "password": PASSWORD, "next": "/admin/"},
    )
    assert response["Location"] == "/accounts/login/?next=%2Fadmin%2F"
    assert client.get("/admin/").status_code == 302  # not signed in by the admin's form
    response = client.post(
        "/accounts/login/?next=/admin/",
        {"username": user.username, "password": PASSWORD, "next": "/admin/"},
    )
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


# --- start pages -----------------------------------------------------------------------------


def test_organiser_sees_upcoming_and_recent_sessions_with_counts(client):
    signed_in(client, roles.ORGANISER)
    coming = upcoming_session(code="COMING-1", capacity=20)
    for status in ("confirmed", "registered", "waitlisted", "withdrawn"):
        EnrolmentFactory(session=coming, status=status)
    past_session(code="DONE-1")
    cancelled = upcoming_session(code="CANCELLED-1", status=Session.Status.CANCELLED)

    response = client.get("/home/organiser/")

    upcoming = response.context["upcoming"]
    assert [s.code for s in upcoming] == ["COMING-1"]
    assert (upcoming[0].enrolled, upcoming[0].waitlisted, upcoming[0].day_count) == (2, 1, 2)
    assert [s.code for s in response.context["recent"]] == ["DONE-1"]
    html = response.content.decode()
    assert "COMING-1" in html and "DONE-1" in html
    assert cancelled.code not in html
    assert "Open for registration" in html


def test_organiser_without_sessions_sees_helpful_empty_states(client):
    signed_in(client, roles.ORGANISER)
    html = client.get("/home/organiser/").content.decode()
    assert "No sessions planned" in html
    assert "No finished sessions yet" in html


def test_trainer_sees_only_their_own_sessions(client):
    trainer = signed_in(client, roles.TRAINER)
    mine = upcoming_session(code="MINE-UP")
    mine.trainers.add(trainer)
    mine_past = past_session(code="MINE-PAST")
    mine_past.trainers.add(trainer)
    other = upcoming_session(code="OTHERS")
    other.trainers.add(user_in(roles.TRAINER))
    EnrolmentFactory.create_batch(3, session=mine)

    response = client.get("/home/trainer/")

    assert [s.code for s in response.context["upcoming"]] == ["MINE-UP"]
    assert [s.code for s in response.context["past"]] == ["MINE-PAST"]
    assert response.context["upcoming"][0].enrolled == 3
    html = response.content.decode()
    assert "OTHERS" not in html
    # The days of each session are listed, in the reader's date format.
    assert mine.start_date.strftime("%m/%d/%Y") in html


def test_trainer_without_sessions_sees_an_empty_state(client):
    signed_in(client, roles.TRAINER)
    upcoming_session(code="NOT-MINE")
    html = client.get("/home/trainer/").content.decode()
    assert "No sessions assigned to you yet" in html
    assert "NOT-MINE" not in html


def test_me_officer_sees_the_headline_figures(client):
    signed_in(client, roles.ME_OFFICER)
    session = past_session(code="FIG-1")
    women = EnrolmentFactory.create_batch(3, session=session, pre_score=40, post_score=70)
    EnrolmentFactory(session=session, participant=ParticipantFactory(gender=gender("male")))
    for enrolment in women:
        attend(enrolment, 1)
    CertificateFactory(enrolment=women[0])

    response = client.get("/home/me/")

    figures = response.context["figures"]
    assert figures == summary(Filters())
    assert (figures["participants"], figures["participations"], figures["certificates"]) == (
        4,
        4,
        1,
    )
    assert response.context["women_percent"] == 75.0
    assert response.context["attendance_percent"] == pytest.approx(100 * 3 / 8)
    assert response.context["mean_gain"] == pytest.approx(30.0)
    html = response.content.decode()
    assert "75.0&nbsp;%" in html
    assert "+30.0" in html


def test_me_officer_with_no_data_sees_an_empty_state(client):
    signed_in(client, roles.ME_OFFICER)
    assert "No participations to count yet" in client.get("/home/me/").content.decode()


def test_administrator_sees_links_to_the_admin_sections(client):
    signed_in(client, roles.ADMINISTRATOR, is_staff=True)
    html = client.get("/home/administrator/").content.decode()
    for name in (
        "admin:auth_user_changelist",
        "admin:trainings_session_changelist",
        "admin:participants_participant_changelist",
        "admin:certificates_certificate_changelist",
    ):
        assert f'href="{reverse(name)}"' in html


def _sessions(n: int, trainer) -> None:
    for i in range(n):
        session = (upcoming_session if i % 2 == 0 else past_session)(i + 1)
        session.trainers.add(trainer)
        EnrolmentFactory.create_batch(2, session=session)
        EnrolmentFactory(session=session, status=Enrolment.Status.WAITLISTED)


@pytest.mark.parametrize("role", [roles.ORGANISER, roles.TRAINER, roles.ME_OFFICER])
def test_start_pages_cost_the_same_queries_with_1_and_20_sessions(client, role):
    user = signed_in(client, role)
    url = START_PAGES[role]

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    _sessions(1, user)
    one = count()
    _sessions(19, user)
    twenty = client.get(url)
    rows = len(twenty.context.get("upcoming", [])) + len(twenty.context.get("past", []))
    if role == roles.TRAINER:
        assert rows == 20  # every session is on the page, so the count means something
    assert count() == one


# --- permissions -----------------------------------------------------------------------------


def test_role_of_each_role_and_the_broadest_wins():
    assert role_of(user_in(roles.TRAINER)) == roles.TRAINER
    assert role_of(user_in(roles.ME_OFFICER)) == roles.ME_OFFICER
    assert role_of(user_in(roles.ORGANISER)) == roles.ORGANISER
    assert role_of(user_in(None, is_superuser=True)) == roles.ADMINISTRATOR
    assert role_of(user_in(None)) is None
    both = user_in(roles.TRAINER)
    both.groups.add(Group.objects.get(name=roles.ORGANISER))
    assert role_of(both) == roles.ORGANISER
    assert roles_of(both) == {roles.TRAINER, roles.ORGANISER}


def test_role_of_anonymous_and_inactive_is_none():
    from django.contrib.auth.models import AnonymousUser

    assert role_of(AnonymousUser()) is None
    assert role_of(user_in(roles.ORGANISER, is_active=False)) is None


def test_sessions_for_trainers_is_only_theirs_and_for_others_everything():
    trainer = user_in(roles.TRAINER)
    mine, other = SessionFactory(), SessionFactory()
    mine.trainers.add(trainer)
    assert list(sessions_for(trainer)) == [mine]
    for role in (roles.ORGANISER, roles.ME_OFFICER, roles.ADMINISTRATOR):
        assert set(sessions_for(user_in(role))) == {mine, other}
    assert list(sessions_for(user_in(None))) == []


def test_can_change_session_by_role():
    trainer = user_in(roles.TRAINER)
    mine, other = SessionFactory(), SessionFactory()
    mine.trainers.add(trainer)
    assert can_change_session(trainer, mine) is True
    assert can_change_session(trainer, other) is False
    for role in (roles.ORGANISER, roles.ADMINISTRATOR):
        assert can_change_session(user_in(role), other) is True
    me_officer = user_in(roles.ME_OFFICER)
    mine.trainers.add(me_officer)  # even when listed as a trainer, an M&E officer only reads
    assert can_change_session(me_officer, mine) is False
    assert can_change_session(user_in(None), other) is False


def test_role_required_mixin_lets_in_only_the_listed_roles(rf):
    from django.contrib.auth.models import AnonymousUser
    from django.core.exceptions import PermissionDenied
    from django.http import HttpResponse
    from django.views import View

    class OnlyTrainers(RoleRequiredMixin, View):
        roles = [roles.TRAINER]

        def get(self, request):
            return HttpResponse("ok")

    view = OnlyTrainers.as_view()
    request = rf.get("/x/")
    request.user = user_in(roles.TRAINER)
    assert view(request).status_code == 200
    request.user = user_in(roles.ORGANISER)
    with pytest.raises(PermissionDenied):
        view(request)
    request.user = AnonymousUser()
    assert view(request)["Location"] == "/accounts/login/?next=/x/"


# --- languages -------------------------------------------------------------------------------


def test_switching_to_russian_with_the_language_form(client):
    trainer = signed_in(client, roles.TRAINER)
    response = client.post(
        reverse("set_language"), {"language": "ru", "next": "/home/trainer/"}, follow=True
    )
    html = response.content.decode()
    assert response.redirect_chain[-1] == ("/home/trainer/", 302)
    assert '<html lang="ru">' in html
    assert "Мои сессии" in html
    assert "Вам пока не назначено ни одной сессии" in html
    assert "Выйти" in html
    assert trainer.username in html


def test_start_pages_in_kyrgyz(client, settings):
    signed_in(client, roles.ORGANISER)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ky"
    upcoming_session(code="KY-1")
    html = client.get("/home/organiser/").content.decode()
    assert '<html lang="ky">' in html
    assert "Учурдагы жана алдыдагы" in html
    assert "Каттоо ачык" in html  # the session's status, in Kyrgyz
    assert "Аяктаган сессиялар азырынча жок" in html
    assert "Уюштуруучу" in html  # the role in the header


def test_me_figures_in_russian_use_russian_number_format(client, settings):
    signed_in(client, roles.ME_OFFICER)
    session = past_session()
    EnrolmentFactory.create_batch(2, session=session)
    EnrolmentFactory(session=session, participant=ParticipantFactory(gender=gender("male")))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    html = client.get("/home/me/").content.decode()
    assert "Женщины" in html
    assert "66,7&nbsp;%" in html  # decimal comma
    assert "в 1 сессии" in html


def test_login_page_in_kyrgyz(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ky"
    html = client.get("/accounts/login/").content.decode()
    assert "Bilim'ге кирүү" in html
    assert "Сырсөз" in html


def _entries(po: Path) -> list[tuple[str, list[str]]]:
    """Return each entry's msgid and its msgstr values (plural forms included)."""
    entries = []
    for block in po.read_text(encoding="utf-8").split("\n\n"):
        msgid, msgstrs, current = None, [], None
        for line in block.splitlines():
            if line.startswith("#"):
                continue
            if line.startswith("msgid "):
                msgid, current = ast.literal_eval(line[6:]), "id"
            elif line.startswith("msgid_plural "):
                current = "plural"
            elif line.startswith("msgstr"):
                msgstrs.append(ast.literal_eval(line.split(" ", 1)[1]))
                current = "str"
            elif line.startswith('"') and current == "id":
                msgid += ast.literal_eval(line)
            elif line.startswith('"') and current == "str":
                msgstrs[-1] += ast.literal_eval(line)
        if msgid is not None:
            entries.append((msgid, msgstrs))
    return entries


@pytest.mark.parametrize("language", ["ru", "ky"])
def test_every_string_is_translated(language):
    po = LOCALE / language / "LC_MESSAGES" / "django.po"
    entries = [(msgid, strs) for msgid, strs in _entries(po) if msgid]
    assert len(entries) > 50
    untranslated = [msgid for msgid, strs in entries if not strs or not all(strs)]
    assert untranslated == []
    assert "#, fuzzy" not in po.read_text(encoding="utf-8")
    assert (po.parent / "django.mo").stat().st_size > 0


def test_kyrgyz_translations_use_kyrgyz_letters():
    text = " ".join(s for _, strs in _entries(LOCALE / "ky/LC_MESSAGES/django.po") for s in strs)
    assert {"ң", "ө", "ү"} <= set(text)


# --- the base layout -------------------------------------------------------------------------

EXTERNAL = re.compile(r"""(?:href|src|action)\s*=\s*["']?(?:https?:)?//""", re.IGNORECASE)


def test_no_page_links_to_another_host(client):
    pages = [client.get("/accounts/login/").content.decode()]
    for role in START_PAGES:
        client.force_login(user_in(role, is_staff=True))
        upcoming_session().trainers.add(client.get("/").wsgi_request.user)
        pages.append(client.get(START_PAGES[role]).content.decode())
    templates = Path(settings.BASE_DIR) / "templates"
    paths = [templates / "base.html"]
    for folder in ("partials", "home", "registration"):
        paths += templates.glob(f"{folder}/*.html")
    sources = [p.read_text(encoding="utf-8") for p in paths]
    css = (Path(settings.BASE_DIR) / "static/css/bilim.css").read_text(encoding="utf-8")
    for text in [*pages, *sources]:
        assert not EXTERNAL.search(text)
        assert "http://" not in text and "https://" not in text
    assert "url(" not in css or "http" not in css


def test_base_loads_the_vendored_stylesheet_and_htmx(client):
    signed_in(client, roles.ORGANISER)
    html = client.get("/home/organiser/").content.decode()
    assert '<link rel="stylesheet" href="/static/css/bilim.css">' in html
    assert '<script src="/static/vendor/htmx/htmx.min.js" defer></script>' in html
    vendor = Path(settings.BASE_DIR) / "static/vendor/htmx"
    assert (vendor / "htmx.min.js").read_text(encoding="utf-8").startswith("var htmx=")
    assert "Zero-Clause BSD" in (vendor / "LICENSE").read_text(encoding="utf-8")


def test_htmx_requests_are_recognised(client):
    signed_in(client, roles.ORGANISER)
    response = client.get("/home/organiser/", headers={"HX-Request": "true"})
    assert response.wsgi_request.htmx


def test_base_has_the_language_switcher_navigation_and_messages_area(client):
    signed_in(client, roles.TRAINER)
    html = client.get("/home/trainer/").content.decode()
    assert f'action="{reverse("set_language")}"' in html
    for code in ("en", "ru", "ky"):
        assert f'name="language" value="{code}"' in html
    assert 'aria-current="page"' in html
    assert 'href="#content"' in html and 'id="content"' in html


@pytest.mark.parametrize("role", list(START_PAGES))
def test_every_link_in_the_navigation_opens_for_its_role(client, role):
    """The header offers each role only pages that role may open."""
    signed_in(client, role)
    html = client.get(START_PAGES[role]).content.decode()
    nav = html.split('class="site-nav"', 1)[1].split("</nav>", 1)[0]
    links = re.findall(r'href="(/[^"]*)"', nav)
    assert links
    for link in links:
        response = client.get(link)
        assert response.status_code == 200, f"{role}: {link} answers {response.status_code}"


def test_me_start_page_leads_to_the_statistics_page(client):
    signed_in(client, roles.ME_OFFICER)
    html = client.get("/home/me/").content.decode()
    assert f'href="{reverse("reports:statistics")}"' in html
