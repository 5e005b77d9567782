"""Printable attendance sign-in sheets: one section per training day, to sign and scan back."""

import datetime as dt
from dataclasses import dataclass

import weasyprint

from certificates import wording
from certificates.models import CertificateDesign
from certificates.pdf import render_document
from participants.models import Participant
from participants.normalize import fold, name_order_key
from trainings.models import Enrolment, Session, TrainingDay

TEMPLATE = "trainings/sign_in_sheet.html"

# Empty numbered rows after the roster, for people who come without having registered.
BLANK_ROWS = 3

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Attendance sheet",
        "session": "Session",
        "course": "Course",
        "date": "Date",
        "day_of": "day {n} of {total}",
        "venue": "Venue",
        "region": "Region",
        "trainers": "Trainers",
        "number": "No.",
        "name": "Full name",
        "agency": "Agency",
        "signature": "Signature",
        "trainer_signature": "Trainer",
        "signature_hint": "name and signature",
        "enrolled": "Participants enrolled: {n}",
        "page": "Page",
        "of": "of",
        "no_days": "this session has no training days.",
    },
    "ru": {
        "title": "Лист регистрации участников",
        "session": "Сессия",
        "course": "Курс",
        "date": "Дата",
        "day_of": "день {n} из {total}",
        "venue": "Место проведения",
        "region": "Регион",
        "trainers": "Тренеры",
        "number": "№",
        "name": "Фамилия, имя, отчество",
        "agency": "Организация",
        "signature": "Подпись",
        "trainer_signature": "Тренер",
        "signature_hint": "ФИО и подпись",
        "enrolled": "Зарегистрировано участников: {n}",
        "page": "Страница",
        "of": "из",
        "no_days": "у этой сессии нет дней обучения.",
    },
    "ky": {
        "title": "Катышуучулардын каттоо баракчасы",
        "session": "Сессия",
        "course": "Курс",
        "date": "Күнү",
        "day_of": "{total} күндүн {n}-күнү",
        "venue": "Өткөрүлүүчү жер",
        "region": "Аймак",
        "trainers": "Тренерлер",
        "number": "№",
        "name": "Фамилиясы, аты, атасынын аты",
        "agency": "Мекеме",
        "signature": "Колу",
        "trainer_signature": "Тренер",
        "signature_hint": "аты-жөнү жана колу",
        "enrolled": "Катталган катышуучулар: {n}",
        "page": "Барак",
        "of": "/",
        "no_days": "бул сессиянын окуу күндөрү жок.",
    },
}

_WEEKDAYS = {
    "en": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
    "ru": ["понедельник", "вторник", "среда", "четверг", "пятница", "суббота", "воскресенье"],
    "ky": ["дүйшөмбү", "шейшемби", "шаршемби", "бейшемби", "жума", "ишемби", "жекшемби"],
}


def format_day(date: dt.date, language: str) -> str:
    """Return a date as the certificates write it in this language, after its weekday."""
    return f"{_WEEKDAYS[language][date.weekday()]}, {wording.date_text(language, date)}"


def name_sort_key(participant: Participant) -> tuple:
    """Return the key that orders people by last, first and middle name in every alphabet."""
    key = name_order_key(participant.last_name, participant.first_name, participant.middle_name)
    return (*key, participant.pk)


@dataclass(frozen=True)
class DaySheet:
    day: TrainingDay
    number: int
    date_text: str
    day_of: str


def _design(session: Session) -> CertificateDesign | None:
    if session.certificate_design_id:
        return session.certificate_design
    return CertificateDesign.objects.filter(is_default=True).first()


def _issuer(design: CertificateDesign | None, language: str) -> str:
    if design is None:
        return ""
    translated = {"ru": design.issuer_ru, "ky": design.issuer_ky}.get(language, "")
    return translated or design.issuer


def sign_in_sheets_context(session: Session) -> dict:
    """Gather what the sign-in sheets of a session print, in a fixed number of queries."""
    language = session.certificate_language if session.certificate_language in TEXTS else "en"
    texts = TEXTS[language]
    session = (
        Session.objects.select_related("course", "region", "certificate_design")
        .prefetch_related("trainers")
        .get(pk=session.pk)
    )
    days = list(session.days.order_by("date"))
    enrolments = Enrolment.objects.filter(
        session=session, status__in=Enrolment.COUNTED
    ).select_related("participant__agency")
    participants = sorted((e.participant for e in enrolments), key=name_sort_key)
    design = _design(session)
    trainers = [t.get_full_name() or t.get_username() for t in session.trainers.all()]
    total = len(days)
    return {
        "language": language,
        "t": texts,
        "session": session,
        "region": wording.region_name(language, session.region.name),
        "issuer": _issuer(design, language),
        "logo": design.logo.url if design is not None and design.logo else "",
        "trainers": ", ".join(sorted(trainers, key=fold)),
        "days": [
            DaySheet(
                day=day,
                number=n,
                date_text=format_day(day.date, language),
                day_of=texts["day_of"].format(n=n, total=total),
            )
            for n, day in enumerate(days, start=1)
        ],
        "participants": participants,
        "blank_rows": range(len(participants) + 1, len(participants) + 1 + BLANK_ROWS),
        "enrolled": texts["enrolled"].format(n=len(participants)),
    }


def sign_in_sheets_document(session: Session) -> weasyprint.Document:
    """Lay out the sign-in sheets of a session (see ``sign_in_sheets_pdf``)."""
    return render_document(TEMPLATE, sign_in_sheets_context(session))


def sign_in_sheets_pdf(session: Session) -> bytes:
    """Render one sign-in sheet per training day of a session, registered and confirmed only."""
    return sign_in_sheets_document(session).write_pdf()
