"""The fixed wording of certificates in English, Russian and Kyrgyz, with dates and plurals.

Dates and plural forms are written here in Python, not by the operating system's locale, so a
certificate reads the same on every server whatever locales it has installed.
"""

import datetime as dt
from dataclasses import dataclass

LANGUAGES = ("en", "ru", "ky")


@dataclass(frozen=True)
class Wording:
    """The fixed phrases of a certificate in one language."""

    language: str
    title: str
    certify: str
    completed: str
    # Kyrgyz puts the verb last: the course title comes before "окуу курсун ... аяктады".
    course_first: bool
    dates: str
    place: str
    duration: str
    number: str
    issued: str
    verify: str
    revoked: str  # with {date}


WORDING = {
    "en": Wording(
        language="en",
        title="Certificate of completion",
        certify="This is to certify that",
        completed="has successfully completed the training course",
        course_first=False,
        dates="Dates",
        place="Place",
        duration="Duration",
        number="Certificate No.",
        issued="Issued on",
        verify="Verify at",
        revoked="Revoked on {date}",
    ),
    "ru": Wording(
        language="ru",
        title="Сертификат",
        certify="Настоящим подтверждается, что",
        completed="успешно завершил(а) обучение по курсу",
        course_first=False,
        dates="Сроки проведения",
        place="Место проведения",
        duration="Продолжительность",
        number="Сертификат №",
        issued="Дата выдачи",
        verify="Проверить подлинность",
        revoked="Отозван {date}",
    ),
    "ky": Wording(
        language="ky",
        title="Сертификат",
        certify="Ушул менен тастыкталат:",
        completed="окуу курсун ийгиликтүү аяктады",
        course_first=True,
        dates="Өткөрүлгөн мөөнөтү",
        place="Өткөрүлгөн жери",
        duration="Узактыгы",
        number="Сертификат №",
        issued="Берилген күнү",
        verify="Текшерүү",
        revoked="Жокко чыгарылды: {date}",
    ),
}

MONTHS_EN = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
# Russian months in the genitive, as a date is written: "10 марта".
MONTHS_RU = [
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
]
# Kyrgyz months with the possessive ending a date takes ("10-марты"), by vowel harmony.
MONTHS_KY = [
    "январы",
    "февралы",
    "марты",
    "апрели",
    "майы",
    "июну",
    "июлу",
    "августу",
    "сентябры",
    "октябры",
    "ноябры",
    "декабры",
]

# Regions as the reference list names them in English, and their names on ru/ky certificates.
REGION_NAMES = {
    "Batken": ("Баткенская область", "Баткен облусу"),
    "Chui": ("Чуйская область", "Чүй облусу"),
    "Issyk-Kul": ("Иссык-Кульская область", "Ысык-Көл облусу"),
    "Jalal-Abad": ("Джалал-Абадская область", "Жалал-Абад облусу"),
    "Naryn": ("Нарынская область", "Нарын облусу"),
    "Osh": ("Ошская область", "Ош облусу"),
    "Talas": ("Таласская область", "Талас облусу"),
    "Bishkek city": ("г. Бишкек", "Бишкек шаары"),
    "Osh city": ("г. Ош", "Ош шаары"),
}


def wording(language: str) -> Wording:
    """Return the fixed phrases of a language, English for an unknown one."""
    return WORDING.get(language, WORDING["en"])


def russian_plural(n: int, one: str, few: str, many: str) -> str:
    """Pick the Russian form for n: 1 день, 2 дня, 5 дней, 11 дней, 21 день."""
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def duration(language: str, *, hours: int | None, days: int) -> str:
    """Write the length of a session: its hours where known, else its training days."""
    if hours:
        if language == "ru":
            return f"{hours} {russian_plural(hours, 'час', 'часа', 'часов')}"
        if language == "ky":
            # Kyrgyz nouns stay singular after a numeral: 1 саат, 16 саат.
            return f"{hours} саат"
        return f"{hours} hour" if hours == 1 else f"{hours} hours"
    if language == "ru":
        return f"{days} {russian_plural(days, 'день', 'дня', 'дней')}"
    if language == "ky":
        return f"{days} күн"
    return f"{days} day" if days == 1 else f"{days} days"


def _ky_year(year: int) -> str:
    return f"{year}-жылдын"


def date_text(language: str, day: dt.date) -> str:
    """Write one date in full: 10 March 2025, 10 марта 2025 г., 2025-жылдын 10-марты."""
    if language == "ru":
        return f"{day.day} {MONTHS_RU[day.month - 1]} {day.year} г."
    if language == "ky":
        return f"{_ky_year(day.year)} {day.day}-{MONTHS_KY[day.month - 1]}"
    return f"{day.day} {MONTHS_EN[day.month - 1]} {day.year}"


def date_range(language: str, start: dt.date, end: dt.date) -> str:
    """Write a span of dates as briefly as it reads well: 10–12 March 2025, 28 февраля – 3 марта.

    Within one month the day numbers share the month; across months or years each end is written
    in full where it differs.
    """
    if start == end:
        return date_text(language, start)
    dash = "–"
    if language == "ru":
        month_s, month_e = MONTHS_RU[start.month - 1], MONTHS_RU[end.month - 1]
        if start.year != end.year:
            return f"{date_text('ru', start)} – {date_text('ru', end)}"
        if start.month == end.month:
            return f"{start.day}{dash}{end.day} {month_e} {end.year} г."
        return f"{start.day} {month_s} – {end.day} {month_e} {end.year} г."
    if language == "ky":
        month_s, month_e = MONTHS_KY[start.month - 1], MONTHS_KY[end.month - 1]
        if start.year != end.year:
            return f"{date_text('ky', start)} – {date_text('ky', end)}"
        if start.month == end.month:
            return f"{_ky_year(end.year)} {start.day}{dash}{end.day}-{month_e}"
        return f"{_ky_year(end.year)} {start.day}-{month_s} – {end.day}-{month_e}"
    month_s, month_e = MONTHS_EN[start.month - 1], MONTHS_EN[end.month - 1]
    if start.year != end.year:
        return f"{date_text('en', start)} – {date_text('en', end)}"
    if start.month == end.month:
        return f"{start.day}{dash}{end.day} {month_e} {end.year}"
    return f"{start.day} {month_s} – {end.day} {month_e} {end.year}"


def region_name(language: str, name: str) -> str:
    """Name a region in the certificate's language, as stored where no translation is known."""
    names = REGION_NAMES.get(name)
    if names is None or language == "en":
        return name
    return names[0] if language == "ru" else names[1]
