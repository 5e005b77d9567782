"""Every page, as a person allowed to read it sees it, passes the checks a screen reader needs.

Walks the same URL list as tests/test_url_permissions.py and, for each page that answers HTML to
GET, checks: the document's language, one h1, a label for every field, alt text on images, a
name on every button, unique ids, and nothing a strict Content-Security-Policy would block
(inline scripts, on* handlers, style attributes).
"""

from html.parser import HTMLParser

import pytest

from tests.test_url_permissions import (
    ACCESS,
    ADMINISTRATOR,
    ANONYMOUS,
    ME,
    ORGANISER,
    OWN_TRAINER,
    named_urls,
    url_for,
    world,  # noqa: F401 (fixture)
)

pytestmark = pytest.mark.django_db

UNLABELLED_TYPES = {"hidden", "submit", "button", "reset", "image"}
# Not pages: POST-only endpoints, redirects and files (PDF, SVG, .xlsx).
NOT_PAGES = {
    "logout",
    "set_language",
    "trainings:registration_qr",
    "trainings:attendance_mark",
    "trainings:attendance_day_present",
    "trainings:score_save",
    "trainings:enrolment_status",
    "trainings:certificates_issue",
    "trainings:certificates_pdf",
    "trainings:sign_in_sheets",
    "trainings:import_template",
    "reports:workbook",
    "reports:data_csv",
    "jobs:progress",
    "jobs:result",
    "jobs:certificates_start",
    "jobs:workbook_start",
    "jobs:csv_start",
}


class PageAudit(HTMLParser):
    """Collect what the checks need in one pass over the HTML."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lang = None
        self.h1 = 0
        self.ids: list[str] = []
        self.label_for: set[str] = set()
        self.fields: list[tuple[str, dict]] = []
        self.label_depth = 0
        self.images_without_alt: list[str] = []
        self.buttons: list[dict] = []
        self._button: dict | None = None
        self.inline_scripts = 0
        self._in_script = False
        self._script_has_src = False
        self.handlers: list[str] = []
        self.styles: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        if tag == "h1":
            self.h1 += 1
        if "id" in a:
            self.ids.append(a["id"])
        for name in a:
            if name.startswith("on"):
                self.handlers.append(f"<{tag} {name}>")
        if "style" in a:
            self.styles.append(f"<{tag} style={a['style']!r}>")
        if tag == "label":
            self.label_depth += 1
            if a.get("for"):
                self.label_for.add(a["for"])
        if tag in ("input", "select", "textarea") and not (
            tag == "input" and a.get("type", "text") in UNLABELLED_TYPES
        ):
            self.fields.append((tag, {**a, "_in_label": self.label_depth > 0}))
        if tag == "img" and "alt" not in a:
            self.images_without_alt.append(a.get("src", "?"))
        if tag == "button":
            self._button = {"attrs": a, "text": ""}
        if tag == "script":
            self._in_script = True
            self._script_has_src = "src" in a

    def handle_endtag(self, tag):
        if tag == "label":
            self.label_depth = max(0, self.label_depth - 1)
        if tag == "button" and self._button is not None:
            self.buttons.append(self._button)
            self._button = None
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._button is not None:
            self._button["text"] += data
        if self._in_script and not self._script_has_src and data.strip():
            # JSON data islands are data, not code; anything else is an inline script.
            self.inline_scripts += 1

    def problems(self) -> list[str]:
        found = []
        if not self.lang:
            found.append("<html> has no lang")
        if self.h1 != 1:
            found.append(f"{self.h1} h1 headings")
        for tag, a in self.fields:
            named = (
                a.get("aria-label")
                or a.get("aria-labelledby")
                or a["_in_label"]
                or (a.get("id") and a["id"] in self.label_for)
            )
            if not named:
                found.append(f"<{tag} name={a.get('name')!r}> has no label")
        found += [f"<img src={src!r}> has no alt" for src in self.images_without_alt]
        for button in self.buttons:
            attrs = button["attrs"]
            if not (button["text"].strip() or attrs.get("aria-label") or attrs.get("title")):
                found.append(f"a button has no name: {attrs}")
        duplicates = {i for i in self.ids if self.ids.count(i) > 1}
        if duplicates:
            found.append(f"duplicate ids: {sorted(duplicates)}")
        if self.inline_scripts:
            found.append(f"{self.inline_scripts} inline scripts")
        found += [f"inline handler {h}" for h in self.handlers]
        found += [f"inline style {s}" for s in self.styles]
        return found


def reader_for(name: str) -> str | None:
    """The first visitor, in a fixed order, whom the page admits for GET."""
    allowed = ACCESS[name].get
    for visitor in (ORGANISER, OWN_TRAINER, ME, ADMINISTRATOR, ANONYMOUS):
        if visitor in allowed:
            return visitor
    return None


PAGES = sorted(name for name in ACCESS if name not in NOT_PAGES)


@pytest.mark.parametrize("name", PAGES)
def test_page_is_accessible_and_csp_ready(client, world, name):  # noqa: F811
    visitor = reader_for(name)
    assert visitor is not None
    if visitor != ANONYMOUS:
        client.force_login(world["users"][visitor])
    url = url_for(name, named_urls()[name], world)
    response = client.get(url, follow=True)
    assert response.status_code == 200, url
    assert response["Content-Type"].startswith("text/html"), url
    audit = PageAudit()
    audit.feed(response.content.decode())
    assert audit.problems() == [], url
