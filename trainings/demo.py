"""The demo data set: a believable programme's courses, sessions, people and results.

``demo_seed`` writes it once (it recognises its own sessions and programmes by their ``DEMO-``
code prefix) and creates the demo users, one per role. Two donor-funded programmes group most of
the sessions and carry indicator targets; a database seeded before programmes existed gets them
on the next run. Their passwords are printed by ``manage.py seed_demo`` and
are for the demo only: never run it against a database that real people use.

Everything is drawn from one ``random.Random`` with a fixed seed and dated relative to the day it
runs, so two fresh installations seeded on the same day hold the same data. Rows are written with
``bulk_create``, which skips ``save()``: the folded ``*_key`` columns are set here by hand.
"""

import datetime as dt
import random
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.models import Group
from django.contrib.staticfiles import finders
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from certificates.models import CertificateDesign, Signatory
from certificates.services import certificates_issue
from participants.models import Agency, AgencyType, Gender, Participant, Region
from participants.normalize import fold
from reports.models import Programme, Target
from trainings import roles
from trainings.models import Attendance, Course, Enrolment, Session, TrainingDay

DEMO_PREFIX = "DEMO-"
SEED = 2024
SIGN_IN_URL = "http://127.0.0.1:8000/accounts/login/"


class DemoError(Exception):
    """The database lacks something the demo needs (a role group, a reference list entry)."""


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str
    role: str
    superuser: bool = False


DEMO_USERS = (
    DemoUser("organiser", "organiser-demo", roles.ORGANISER),
    DemoUser("trainer", "trainer-demo", roles.TRAINER),
    DemoUser("mne", "mne-demo", roles.ME_OFFICER),
    DemoUser("admin", "admin-demo", roles.ADMINISTRATOR, superuser=True),
)


@dataclass(frozen=True)
class Login:
    user: DemoUser
    created: bool
    # False when someone has changed the password since the demo created the user.
    password_works: bool


@dataclass
class DemoResult:
    """What one run did: the rows it created (empty when the demo was there) and the logins."""

    created: dict[str, int]
    logins: list[Login]
    existing_sessions: int = 0


# --- the catalogue -----------------------------------------------------------------------------

# code, title, thematic area, assessed, pass mark
COURSES = [
    (
        "UPR-TB",
        "UN human rights mechanisms (UPR, treaty bodies, special procedures)",
        "International human rights mechanisms",
        True,
        60,
    ),
    (
        "PREV-TORT",
        "Prevention of torture (OPCAT, Istanbul Protocol)",
        "Prevention of torture and ill-treatment",
        True,
        70,
    ),
    ("GSR", "Gender-sensitive reporting", "Gender equality and the media", False, 60),
    (
        "CTHB",
        "Combating trafficking in human beings",
        "Anti-trafficking and migrants' rights",
        True,
        60,
    ),
]

# name, agency type, parent (an earlier name), email domain, home region ("" when nationwide)
AGENCIES = [
    ("Ministry of Justice of the Kyrgyz Republic", "Ministry", "", "minjust.example", ""),
    (
        "Министерство внутренних дел Кыргызской Республики",
        "Police",
        "",
        "mvd.example",
        "",
    ),
    (
        "Ministry of Labour, Social Security and Migration",
        "Ministry",
        "",
        "mlsp.example",
        "",
    ),
    ("Министерство здравоохранения Кыргызской Республики", "Ministry", "", "med.example", ""),
    (
        "Ministry of Culture, Information, Sports and Youth Policy",
        "Ministry",
        "",
        "minculture.example",
        "Bishkek city",
    ),
    (
        "Генеральная прокуратура Кыргызской Республики",
        "Prosecution",
        "",
        "prokuratura.example",
        "Bishkek city",
    ),
    (
        "Прокуратура Ошской области",
        "Prosecution",
        "Генеральная прокуратура Кыргызской Республики",
        "prokuratura.example",
        "Osh",
    ),
    ("Верховный суд Кыргызской Республики", "Court", "", "sot.example", "Bishkek city"),
    ("Бишкекский городской суд", "Court", "", "sot.example", "Bishkek city"),
    ("Ош облустук соту", "Court", "", "sot.example", "Osh"),
    (
        "Служба исполнения наказаний при Министерстве юстиции",
        "Penitentiary",
        "Ministry of Justice of the Kyrgyz Republic",
        "gsin.example",
        "",
    ),
    (
        "Probation Department of the Ministry of Justice",
        "Ministry",
        "Ministry of Justice of the Kyrgyz Republic",
        "minjust.example",
        "",
    ),
    ("State Border Service", "Police", "", "border.example", ""),
    (
        "Государственная служба миграции",
        "Ministry",
        "Ministry of Labour, Social Security and Migration",
        "migration.example",
        "",
    ),
    (
        "Институт Акыйкатчы (Омбудсмена) Кыргызской Республики",
        "Ombudsman",
        "",
        "ombudsman.example",
        "Bishkek city",
    ),
    (
        "Akyikatchy (Ombudsman) representative office, southern region",
        "Ombudsman",
        "Институт Акыйкатчы (Омбудсмена) Кыргызской Республики",
        "ombudsman.example",
        "Osh city",
    ),
    (
        "Национальный центр по предупреждению пыток",
        "Other",
        "",
        "npm.example",
        "",
    ),
    (
        "Secretariat of the Coordination Council on Human Rights",
        "Ministry",
        "",
        "gov.example",
        "Bishkek city",
    ),
    ("Аппарат Жогорку Кенеша Кыргызской Республики", "Parliament", "", "kenesh.example", ""),
    (
        "Главное управление внутренних дел г. Бишкек",
        "Police",
        "Министерство внутренних дел Кыргызской Республики",
        "guvd.example",
        "Bishkek city",
    ),
    (
        "Ош шаардык ички иштер башкармалыгы",
        "Police",
        "Министерство внутренних дел Кыргызской Республики",
        "mvd.example",
        "Osh city",
    ),
    ("Мэрия города Нарын", "Local government", "", "naryn.example", "Naryn"),
    ("Кара-Суу айыл өкмөтү", "Local government", "", "karasuu.example", "Osh"),
    ("Инициативная группа женщин «Ак-Жол»", "Civil society", "", "akjol.example", "Talas"),
    ("Правозащитный центр «Укук»", "Civil society", "", "ukuk.example", ""),
    ("Batken Youth for Rights", "Civil society", "", "byr.example", "Batken"),
    ("Национальное информационное агентство «Кабар»", "Media", "", "kabar.example", ""),
    ("«Ош жаңырыгы» гезити", "Media", "", "oshnews.example", "Osh city"),
    (
        "Кыргызский национальный университет им. Ж. Баласагына",
        "Academia",
        "",
        "knu.example",
        "Bishkek city",
    ),
    ("OSCE Programme Office in Bishkek", "International organisation", "", "osce.example", ""),
]

# How likely people of each agency type are to be sent to each course.
AFFINITY = {
    "UPR-TB": {
        "Ministry": 5,
        "Parliament": 4,
        "Ombudsman": 3,
        "Civil society": 3,
        "Academia": 2,
        "Prosecution": 1,
        "Court": 1,
        "Local government": 1,
        "International organisation": 1,
        "Other": 1,
    },
    "PREV-TORT": {
        "Police": 5,
        "Prosecution": 4,
        "Penitentiary": 6,
        "Court": 3,
        "Ombudsman": 3,
        "Other": 3,
        "Civil society": 1,
        "Ministry": 1,
    },
    "GSR": {
        "Media": 8,
        "Ministry": 1,
        "Civil society": 3,
        "Academia": 1,
        "Local government": 1,
    },
    "CTHB": {
        "Police": 5,
        "Ministry": 2,
        "Prosecution": 2,
        "Civil society": 3,
        "Local government": 2,
        "Court": 1,
    },
}

FEMALE_SHARE = {
    "Police": 0.25,
    "Penitentiary": 0.3,
    "Prosecution": 0.4,
    "Court": 0.5,
    "Civil society": 0.75,
    "Media": 0.7,
    "Academia": 0.6,
    "Ombudsman": 0.6,
}

POSITIONS = {
    "Ministry": [
        "главный специалист",
        "ведущий специалист",
        "заведующий отделом",
        "Chief specialist, international cooperation",
        "пресс-секретарь",
    ],
    "Court": ["судья", "помощник судьи", "секретарь судебного заседания", "Judge"],
    "Prosecution": ["прокурор", "старший прокурор", "помощник прокурора", "Prosecutor"],
    "Police": [
        "участковый инспектор",
        "старший оперуполномоченный",
        "следователь",
        "инспектор по делам несовершеннолетних",
        "начальник отдела",
    ],
    "Penitentiary": ["начальник отряда", "инспектор", "психолог", "медицинский работник"],
    "Ombudsman": ["главный специалист", "эксперт по мониторингу", "Regional representative"],
    "Parliament": ["консультант", "помощник депутата", "эксперт аппарата"],
    "Local government": ["ответственный секретарь", "специалист по социальным вопросам"],
    "Civil society": ["юрист", "координатор проектов", "Project coordinator", "директор"],
    "Media": ["журналист", "редактор", "корреспондент", "Reporter"],
    "Academia": ["преподаватель", "доцент кафедры конституционного права", "Lecturer"],
    "International organisation": ["National programme officer", "ассистент проекта"],
    "Other": ["эксперт", "специалист по мониторингу мест лишения свободы"],
}


@dataclass(frozen=True)
class SessionPlan:
    course: str
    offset: int  # days from today, roughly; the start moves back to ``weekday``
    weekday: int  # Monday is 0
    days: tuple[int, ...]  # training days, as days after the start
    region: str
    venue: str
    format: str
    language: str
    capacity: int
    roster: int
    status: str = Session.Status.COMPLETED
    max_score: int = 100
    trainer: bool = False
    title: str = ""


TUE_THU = (1, (0, 1, 2))
THU_FRI = (3, (0, 1))
THU_FRI_MON = (3, (0, 1, 4))  # the weekend is skipped

# About 400 people, some of them in two or three sessions, need about 450 seats over 12 sessions:
# hence rosters of 24 to 50 (the online one is the largest).
_P = SessionPlan
SESSIONS = [
    _P("UPR-TB", -535, *TUE_THU, "Bishkek city", "Hyatt Regency Bishkek", "in_person", "ru", 40,
       40),
    _P("PREV-TORT", -490, *TUE_THU, "Osh city", "Hotel «Classic», Osh", "in_person", "ru", 36,
       36, trainer=True),
    _P("GSR", -445, *THU_FRI, "Bishkek city", "Press centre of «Kabar», Bishkek", "hybrid", "ky",
       30, 30),
    _P("CTHB", -400, *THU_FRI_MON, "Jalal-Abad", "Hotel «Mol-Bulak», Jalal-Abad", "in_person",
       "ru", 38, 38),
    _P("UPR-TB", -355, *TUE_THU, "Naryn", "Naryn State University, conference hall",
       "in_person", "ky", 36, 36, trainer=True),
    _P("PREV-TORT", -310, *TUE_THU, "Bishkek city", "Training centre of the Supreme Court",
       "in_person", "ru", 44, 46),
    _P("CTHB", -265, *TUE_THU, "Batken", "Batken regional administration, assembly hall",
       "in_person", "ky", 36, 36, max_score=20, trainer=True),
    _P("GSR", -220, *THU_FRI, "Talas", "Talas State University", "in_person", "ky", 30, 24,
       status=Session.Status.CANCELLED),
    _P("PREV-TORT", -180, *TUE_THU, "Issyk-Kul", "Resort «Raduga», Cholpon-Ata", "in_person",
       "ru", 42, 42, trainer=True,
       title="Documenting torture under the Istanbul Protocol: forensic doctors and monitors"),
    _P("UPR-TB", -130, *TUE_THU, "Bishkek city", "Online (Zoom)", "online", "en", 50, 50),
    _P("CTHB", -85, *TUE_THU, "Chui", "Kara-Balta city hall", "in_person", "ru", 38, 38,
       trainer=True),
    _P("GSR", 28, *THU_FRI, "Osh city", "Osh State University, conference hall", "in_person",
       "ru", 30, 34, status=Session.Status.OPEN, trainer=True),
]  # fmt: skip

# The sessions in which a returning person is entered again, in Latin letters and without an
# email, by a donor's staff: the duplicates an organiser is expected to merge by hand.
LATIN_DUPLICATE_IN = (5, 8, 9)

# --- programmes ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProgrammePlan:
    code: str
    name: str  # "{first}" and "{last}" are the programme's first and last years
    donors: str
    description: str
    sessions: tuple[int, ...]  # indexes into SESSIONS
    years: int  # how long it runs, from January of its first session's year
    targets: tuple[tuple[str, str], ...]  # (indicator, value) over the programme's period


PROGRAMMES = [
    ProgrammePlan(
        f"{DEMO_PREFIX}ROL-HR",
        "Rule of Law and Human Rights Programme {first}–{last}",
        "European Union; Ministry of Foreign Affairs of Norway",
        "Strengthens the justice sector's and state bodies' use of the UN human rights "
        "mechanisms and their response to trafficking in human beings.",
        (0, 3, 4, 5, 6, 9, 10),
        3,
        (
            ("participants", "450"),
            ("women_share", "0.5"),
            ("improved_share", "0.7"),
            ("certificates", "380"),
        ),
    ),
    ProgrammePlan(
        f"{DEMO_PREFIX}PREV-TORT-CA",
        "Prevention of Torture in Central Asia",
        "Swiss Agency for Development and Cooperation (SDC)",
        "Trains police, prosecutors, penitentiary staff, forensic doctors and monitors in the "
        "prevention and documentation of torture (OPCAT, Istanbul Protocol).",
        (1, 5, 8),  # the Supreme Court's session is co-funded by both programmes
        2,
        (
            ("participants", "160"),
            ("women_share", "0.5"),
            ("improved_share", "0.7"),
            ("certificates", "120"),
        ),
    ),
]
# The gender-sensitive reporting sessions are paid from the training centre's own budget.

# --- certificates ------------------------------------------------------------------------------

DESIGN_NAME = "Demo: Human Rights Training Programme"
DESIGN_ISSUER = (
    "Human Rights Training Programme, Bishkek",
    "Программа обучения в области прав человека, Бишкек",
    "Адам укуктары боюнча окутуу программасы, Бишкек",
)
DESIGN_EMBLEM = "certificates/demo-emblem.svg"
# name, name_ru, name_ky, title, title_ru, title_ky
SIGNATORIES = [
    (
        "Asel Dzhumabaeva",
        "Асель Джумабаева",
        "Асель Жумабаева",
        "Programme Director",
        "Директор программы",
        "Программанын директору",
    ),
    (
        "Nurbek Sadykov",
        "Нурбек Садыков",
        "Нурбек Садыков",
        "Lead Trainer, human rights mechanisms",
        "Ведущий тренер по механизмам защиты прав человека",
        "Адам укуктарын коргоо механизмдери боюнча башкы тренер",
    ),
]
HOURS_PER_DAY = 6
# Certificates are handed out a few days after the last training day.
ISSUED_AFTER = dt.timedelta(days=3)

# --- names -------------------------------------------------------------------------------------


def _words(text: str) -> list[str]:
    return text.split()


KYRGYZ_FEMALE = _words(
    "Айгүл Гүлнара Жаңыл Бүбүсара Айпери Нургүл Чолпон Асель Жылдыз Мээрим Бактыгүл Айнура "
    "Гүлмира Назира Динара Элмира Каныкей Сезим Айжан Бегимай Төлгөнай Үмүт Бурул Нуриза Айзада "
    "Гүлзат Сүйүмкан Жазгүл"
)
KYRGYZ_MALE = _words(
    "Нурлан Бакыт Азамат Эрлан Таалай Үсөн Өмүрбек Төлөгөн Жоомарт Мирлан Нурбек Канат Темирлан "
    "Эркин Марат Улан Алмаз Бекболот Айбек Данияр Жеңишбек Кубанычбек Төрөбек Сүйүнбек Элдияр "
    "Адилет Чыңгыз Мээрбек"
)
KYRGYZ_SURNAMES = _words(
    "Токтогулов Өмүрбеков Асанбеков Жумабаев Садыков Мамытов Кадыров Турдубаев Абдыкеримов "
    "Үсөнов Төлөгөнов Сүйүнбаев Ниязбеков Осмонов Бообеков Темиров Дүйшөнбиев Алымкулов "
    "Бекташев Шаршеев Жоробеков Маматов Эсенгулов Көчөрбаев Абдыраев Сыдыков Акматов Усубалиев "
    "Мукашев Орозбеков Касымов Исаков Байсалов Чотонов Ибраимов Жусупов Нарматов Бөкөнбаев"
)
KYRGYZ_FATHERS = _words(
    "Асанбек Нурлан Бакыт Төлөгөн Өмүрбек Сүйүнбек Марат Алмаз Канат Эркин Жеңишбек Кубанычбек "
    "Токтосун Мамыт Таалайбек Үсөн"
)
RUSSIAN_FEMALE = _words(
    "Елена Ольга Татьяна Наталья Светлана Алёна Ксения Анна Юлия Людмила Марина Ирина"
)
RUSSIAN_MALE = _words(
    "Алексей Сергей Дмитрий Андрей Пётр Артём Фёдор Владимир Николай Игорь Максим Виктор"
)
RUSSIAN_SURNAMES = _words(
    "Ковалёв Иванов Петров Соловьёв Воробьёв Кузнецов Смирнов Орлов Фёдоров Белов Новиков "
    "Журавлёв Семёнов Лебедев Морозов Попов Волков Зайцев"
)
RUSSIAN_FATHERS = [
    ("Алексеевич", "Алексеевна"),
    ("Сергеевич", "Сергеевна"),
    ("Дмитриевич", "Дмитриевна"),
    ("Андреевич", "Андреевна"),
    ("Петрович", "Петровна"),
    ("Николаевич", "Николаевна"),
    ("Владимирович", "Владимировна"),
    ("Игоревич", "Игоревна"),
    ("Викторович", "Викторовна"),
    ("Юрьевич", "Юрьевна"),
    ("Фёдорович", "Фёдоровна"),
]
UZBEK_FEMALE = _words("Дилноза Шахноза Мохира Гулчехра Феруза")
UZBEK_MALE = _words("Бахтиёр Рустам Улугбек Фаррух Шерзод")
UZBEK_SURNAMES = _words("Каримов Юсупов Рахимов Турсунов Мирзаев")
UZBEK_FATHERS = _words("Рустам Баходир Акрам Илхом")

_LATIN = dict(
    zip(
        "абвгдеёжзийклмнңоөпрстуүфхцчшщъыьэюя",
        _words(
            "a b v g d e yo zh z i i k l m n ng o o p r s t u u f kh ts ch sh shch - y - e yu ya"
        ),
        strict=True,
    )
)
_LATIN["ъ"] = _LATIN["ь"] = ""


def latin(text: str) -> str:
    """Transliterate Kyrgyz or Russian Cyrillic the way a donor's staff would write it."""
    out = []
    for char in text:
        lower = char.lower()
        if lower not in _LATIN:
            out.append(char)
        elif char != lower:
            out.append(_LATIN[lower].capitalize())
        else:
            out.append(_LATIN[lower])
    return "".join(out)


def _female(surname: str) -> str:
    return surname + "а"


def _patronymic(father: str, female: bool) -> str:
    return father + ("овна" if female else "ович")


@dataclass(frozen=True)
class _Employer:
    agency: Agency
    type_name: str
    domain: str
    home: str  # the region most of its staff live in, or ""


@dataclass
class _Person:
    participant: Participant
    type_name: str
    sessions: int = 0
    reliable: bool = True  # most people miss no day; a few miss a fair share of them


REGIONS = ["Batken", "Chui", "Issyk-Kul", "Jalal-Abad", "Naryn", "Osh", "Talas"]
REGIONS += ["Bishkek city", "Osh city"]
SOUTH = {"Batken", "Jalal-Abad", "Osh", "Osh city"}


class _Reference:
    """The reference lists, fetched once and looked up by any spelling an administrator allows."""

    def __init__(self) -> None:
        self.genders = {g.code: g for g in Gender.objects.all()}
        self.agency_types = _by_spelling(AgencyType.objects.all())
        self.regions = _by_spelling(Region.objects.all())
        self._check()

    def agency_type(self, name: str) -> AgencyType:
        return self.agency_types[fold(name)]

    def region(self, name: str) -> Region:
        return self.regions[fold(name)]

    def _check(self) -> None:
        wanted = [
            ("gender", ["female", "male", "other", "undisclosed"], self.genders, str),
            ("agency type", sorted({a[1] for a in AGENCIES}), self.agency_types, fold),
            ("region", REGIONS, self.regions, fold),
        ]
        for label, names, found, key in wanted:
            absent = [n for n in names if key(n) not in found]
            if absent:
                raise DemoError(
                    f"The {label} reference list has no {', '.join(absent)}: "
                    "run `manage.py migrate`, or add them in the admin."
                )


def _by_spelling(items) -> dict:
    """Map every folded spelling of the items (name and aliases) to its item."""
    found = {}
    for item in items:
        found.setdefault(fold(item.name), item)
    for item in items:
        for key in sorted(item.spellings):
            found.setdefault(key, item)
    return found


# --- the entry point ---------------------------------------------------------------------------


def demo_seed(*, today: dt.date | None = None, seed: int = SEED) -> DemoResult:
    """Create the demo users that are missing and, unless it is there already, the demo data."""
    today = today or timezone.localdate()
    with transaction.atomic():
        logins, trainer = _users_ensure()
        existing = Session.objects.filter(code__startswith=DEMO_PREFIX).count()
        if existing:
            # Seeded before programmes existed: add them to the sessions already there.
            created = {}
            if not Programme.objects.filter(code__startswith=DEMO_PREFIX).exists():
                sessions = list(
                    Session.objects.filter(code__startswith=DEMO_PREFIX).order_by(
                        "start_date", "code"
                    )
                )
                if len(sessions) == len(SESSIONS):
                    created = _programmes_ensure(sessions)
            return DemoResult(created=created, logins=logins, existing_sessions=existing)
        created = _Generator(random.Random(seed), today, trainer).run()
    return DemoResult(created=created, logins=logins)


def _programmes_ensure(sessions: list[Session]) -> dict[str, int]:
    """Create the demo programmes and targets that are missing; link them to the sessions.

    ``sessions`` are the demo sessions in the order of SESSIONS. A programme's dates follow its
    sessions' (so that they fit the day the demo was seeded), its code does not: a programme
    already there is reused as it is.
    """
    found = {
        p.code: p for p in Programme.objects.filter(code__in=[plan.code for plan in PROGRAMMES])
    }
    new = []
    for plan in PROGRAMMES:
        if plan.code in found:
            continue
        first = min(sessions[i].start_date for i in plan.sessions).year
        last = first + plan.years - 1
        programme = Programme(
            code=plan.code,
            name=plan.name.format(first=first, last=last),
            donors=plan.donors,
            description=plan.description,
            start_date=dt.date(first, 1, 1),
            end_date=dt.date(last, 12, 31),
        )
        programme.clean()
        new.append(programme)
        found[plan.code] = programme
    Programme.objects.bulk_create(new)
    Through = Programme.sessions.through
    linked = set(
        Through.objects.filter(programme__in=found.values()).values_list(
            "programme_id", "session_id"
        )
    )
    Through.objects.bulk_create(
        Through(programme_id=found[plan.code].pk, session_id=sessions[i].pk)
        for plan in PROGRAMMES
        for i in plan.sessions
        if (found[plan.code].pk, sessions[i].pk) not in linked
    )
    # A target without a period (NULL dates) escapes the unique constraint: look first.
    existing = set(
        Target.objects.filter(
            programme__in=found.values(), period_start=None, period_end=None
        ).values_list("programme_id", "indicator")
    )
    targets = [
        Target(programme=found[plan.code], indicator=indicator, value=Decimal(value))
        for plan in PROGRAMMES
        for indicator, value in plan.targets
        if (found[plan.code].pk, indicator) not in existing
    ]
    for target in targets:
        target.clean()
    Target.objects.bulk_create(targets)
    return {"programmes": len(new), "targets": len(targets)}


def _users_ensure() -> tuple[list[Login], AbstractBaseUser]:
    """Create each missing demo user in its role's group; leave existing users as they are."""
    User = get_user_model()
    groups = {g.name: g for g in Group.objects.filter(name__in=[u.role for u in DEMO_USERS])}
    missing = [u.role for u in DEMO_USERS if u.role not in groups]
    if missing:
        raise DemoError(
            f"The role groups {', '.join(missing)} do not exist: run `manage.py migrate` first."
        )
    existing = User.objects.filter(username__in=[d.username for d in DEMO_USERS])
    users = {u.username: u for u in existing}
    to_create = [d for d in DEMO_USERS if d.username not in users]
    to_check = [d for d in DEMO_USERS if d.username in users]
    # Password hashing is slow by design and releases the GIL: hash the four at once.
    with ThreadPoolExecutor(max_workers=len(DEMO_USERS)) as pool:
        hashes = pool.map(lambda d: make_password(d.password), to_create)
        checks = pool.map(
            lambda d: check_password(d.password, users[d.username].password), to_check
        )
        hashed = dict(zip(to_create, hashes, strict=True))
        works = dict(zip(to_check, checks, strict=True))
    logins, new = [], []
    for demo in DEMO_USERS:
        if demo in works:
            # An existing user is left as it is; the login says whether its password still works.
            logins.append(Login(demo, created=False, password_works=works[demo]))
            continue
        user = User(
            username=demo.username,
            password=hashed[demo],
            email=f"{demo.username}@bilim.example",
            is_staff=True,
            is_superuser=demo.superuser,
        )
        # The usernames are known to be free: they were looked up above.
        user.full_clean(validate_unique=False)
        new.append((demo, user))
        users[demo.username] = user
        logins.append(Login(demo, created=True, password_works=True))
    User.objects.bulk_create([user for _, user in new])
    Membership = User.groups.through
    Membership.objects.bulk_create(
        Membership(user_id=user.pk, group_id=groups[demo.role].pk) for demo, user in new
    )
    trainer = next(users[d.username] for d in DEMO_USERS if d.role == roles.TRAINER)
    return logins, trainer


# --- the generator -----------------------------------------------------------------------------


class _Generator:
    """Draw the whole data set from one random stream and write it with a handful of queries."""

    def __init__(self, rng: random.Random, today: dt.date, trainer: AbstractBaseUser) -> None:
        self.rng = rng
        self.today = today
        self.trainer = trainer
        self.ref = _Reference()
        self.created: Counter[str] = Counter()
        self.used_names: set[str] = set()
        self.used_emails: set[str] = set()
        self.people: list[_Person] = []

    def run(self) -> dict[str, int]:
        courses = self._courses()
        agencies = self._agencies()
        sessions = self._sessions(courses)
        rosters = self._rosters(sessions, agencies)
        self._participants_save()
        self._enrolments_save(sessions, rosters)
        self._certificates_issue(sessions)
        self.created.update(_programmes_ensure(sessions))
        return dict(self.created)

    # The catalogue.

    def _courses(self) -> dict[str, Course]:
        found = {c.code: c for c in Course.objects.filter(code__in=[c[0] for c in COURSES])}
        new = [
            Course(code=code, title=title, thematic_area=area, assessed=assessed, pass_mark=mark)
            for code, title, area, assessed, mark in COURSES
            if code not in found
        ]
        Course.objects.bulk_create(new)
        self.created["courses"] = len(new)
        return found | {c.code: c for c in new}

    def _agencies(self) -> list[_Employer]:
        """Return each demo agency with what the generator knows of it, creating the missing."""
        keys = [fold(a[0]) for a in AGENCIES]
        found = {a.name_key: a for a in Agency.objects.filter(name_key__in=keys)}
        created = 0
        # Parents come first in AGENCIES, so two passes give every child a saved parent.
        for with_parent in (False, True):
            new = []
            for name, type_name, parent, _, _ in AGENCIES:
                if fold(name) in found or bool(parent) != with_parent:
                    continue
                agency = Agency(
                    name=name,
                    name_key=fold(name),
                    type=self.ref.agency_type(type_name),
                    parent=found[fold(parent)] if parent else None,
                )
                new.append(agency)
                found[agency.name_key] = agency
            Agency.objects.bulk_create(new)
            created += len(new)
        self.created["agencies"] = created
        return [
            _Employer(found[fold(name)], type_name, domain, home)
            for name, type_name, _, domain, home in AGENCIES
        ]

    def _design(self) -> CertificateDesign:
        """Return the demo certificate design, creating it (default if there is none) once."""
        design = CertificateDesign.objects.filter(name=DESIGN_NAME).first()
        if design is not None:
            return design
        issuer, issuer_ru, issuer_ky = DESIGN_ISSUER
        design = CertificateDesign(
            name=DESIGN_NAME,
            issuer=issuer,
            issuer_ru=issuer_ru,
            issuer_ky=issuer_ky,
            is_default=not CertificateDesign.objects.filter(is_default=True).exists(),
        )
        emblem = finders.find(DESIGN_EMBLEM)
        if emblem and settings.MEDIA_ROOT:
            with open(emblem, "rb") as f:
                # Copied into MEDIA like an upload, so the design can be edited as any other.
                design.logo.save("demo-emblem.svg", ContentFile(f.read()), save=False)
        design.full_clean()
        design.save()
        signatories = [
            Signatory(
                design=design,
                name=name,
                name_ru=name_ru,
                name_ky=name_ky,
                title=title,
                title_ru=title_ru,
                title_ky=title_ky,
                order=order,
            )
            for order, (name, name_ru, name_ky, title, title_ru, title_ky) in enumerate(
                SIGNATORIES, start=1
            )
        ]
        Signatory.objects.bulk_create(signatories)
        self.created["certificate designs"] = 1
        return design

    def _sessions(self, courses: dict[str, Course]) -> list[Session]:
        design = self._design()
        sessions, days = [], []
        for plan in SESSIONS:
            start = self.today + dt.timedelta(days=plan.offset)
            start -= dt.timedelta(days=(start.weekday() - plan.weekday) % 7)
            course = courses[plan.course]
            session = Session(
                code=f"{DEMO_PREFIX}{plan.course}-{start:%Y-%m}",
                course=course,
                title=plan.title,
                start_date=start,
                end_date=start + dt.timedelta(days=plan.days[-1]),
                region=self.ref.region(plan.region),
                venue=plan.venue,
                format=plan.format,
                language=plan.language,
                capacity=plan.capacity,
                status=plan.status,
                max_score=Decimal(plan.max_score),
                pass_mark=course.pass_mark,
                min_attendance=course.min_attendance,
                certificate_language=plan.language,
                certificate_design=design,
                # Online sessions are shorter days: their certificates print the days instead.
                training_hours=None if plan.format == "online" else HOURS_PER_DAY * len(plan.days),
            )
            sessions.append(session)
            days += [
                TrainingDay(session=session, date=start + dt.timedelta(days=n)) for n in plan.days
            ]
        assert len({s.code for s in sessions}) == len(sessions), "two demo sessions share a code"
        Session.objects.bulk_create(sessions)
        TrainingDay.objects.bulk_create(days)
        Through = Session.trainers.through
        Through.objects.bulk_create(
            Through(session_id=s.pk, user_id=self.trainer.pk)
            for s, plan in zip(sessions, SESSIONS, strict=True)
            if plan.trainer
        )
        self.days = {}
        for day in days:
            self.days.setdefault(day.session.code, []).append(day)
        self.created["sessions"] = len(sessions)
        self.created["training days"] = len(days)
        return sessions

    # The people.

    def _rosters(self, sessions: list[Session], employers: list[_Employer]) -> list[list[_Person]]:
        rng = self.rng
        rosters = []
        for index, (plan, session) in enumerate(zip(SESSIONS, sessions, strict=True)):
            affinity = AFFINITY[plan.course]
            roster: list[_Person] = []
            candidates = [p for p in self.people if p.sessions < 3]
            weights = [affinity.get(p.type_name, 0) for p in candidates]
            for _ in range(rng.randint(4, 8) if index else 0):
                if not any(weights):
                    break
                pick = rng.choices(range(len(candidates)), weights=weights)[0]
                person = candidates.pop(pick)
                weights.pop(pick)
                roster.append(person)
            cyrillic = [i for i, p in enumerate(roster) if not p.participant.last_name.isascii()]
            if index in LATIN_DUPLICATE_IN and cyrillic:
                roster[cyrillic[0]] = self._latin_duplicate(roster[cyrillic[0]], session)
            # Local agencies send more people to a session held in their region.
            weights = [
                affinity.get(e.type_name, 0.3) * (3 if e.home == plan.region else 1)
                for e in employers
            ]
            while len(roster) < plan.roster:
                employer = rng.choices(employers, weights=weights)[0]
                roster.append(self._person(session, employer, south=plan.region in SOUTH))
            for person in roster:
                person.sessions += 1
            rosters.append(roster)
        return rosters

    def _person(self, session: Session, employer: _Employer, *, south: bool) -> _Person:
        rng = self.rng
        type_name = employer.type_name
        roll = rng.random()
        if roll < 0.02:
            gender = "undisclosed"
        elif roll < 0.03:
            gender = "other"
        else:
            gender = "female" if rng.random() < FEMALE_SHARE.get(type_name, 0.55) else "male"
        female = gender == "female" or (gender not in ("female", "male") and rng.random() < 0.5)
        last, first, middle = self._name(female, south)
        if rng.random() < 0.07:
            last, first, middle = latin(last), latin(first), latin(middle)
        birth_year = None if rng.random() < 0.04 else self.today.year - rng.randint(23, 62)
        if rng.random() < 0.06:
            region = None
        elif employer.home and rng.random() < 0.8:
            region = self.ref.region(employer.home)
        elif rng.random() < 0.7:
            region = session.region
        else:
            region = self.ref.region(rng.choice(REGIONS))
        participant = Participant(
            last_name=last,
            first_name=first,
            middle_name=middle,
            gender=self.ref.genders[gender],
            birth_year=birth_year,
            agency=employer.agency,
            position=rng.choice(POSITIONS[type_name]),
            region=region,
            email=self._email(first, last, birth_year, employer.domain)
            if rng.random() < 0.85
            else "",
            phone=self._phone() if rng.random() < 0.85 else "",
            disability=rng.choices(["", "no", "yes"], weights=[90, 8, 2])[0],
        )
        if rng.random() < 0.96:
            participant.consent = True
            participant.consent_at = self._moment_before(session.start_date)
        participant.refresh_keys()
        person = _Person(participant, type_name, reliable=rng.random() < 0.8)
        self.people.append(person)
        return person

    def _latin_duplicate(self, person: _Person, session: Session) -> _Person:
        """Return a new record of the person in Latin letters, as a donor's staff would type it."""
        original = person.participant
        participant = Participant(
            last_name=latin(original.last_name),
            first_name=latin(original.first_name),
            middle_name="",
            gender=original.gender,
            birth_year=original.birth_year,
            agency=original.agency,
            position=original.position,
            region=original.region,
            phone=original.phone,
            consent=True,
            consent_at=self._moment_before(session.start_date),
        )
        participant.refresh_keys()
        duplicate = _Person(participant, person.type_name, reliable=person.reliable)
        self.people.append(duplicate)
        return duplicate

    def _name(self, female: bool, south: bool) -> tuple[str, str, str]:
        rng = self.rng
        for _ in range(100):
            origin = rng.choices(["ky", "ru", "uz"], weights=[72, 10, 18] if south else [72, 24, 4])
            if origin[0] == "ky":
                first = rng.choice(KYRGYZ_FEMALE if female else KYRGYZ_MALE)
                father = rng.choice(KYRGYZ_FATHERS)
                if rng.random() < 0.07:
                    last, middle = f"{father} {'кызы' if female else 'уулу'}", ""
                else:
                    last = rng.choice(KYRGYZ_SURNAMES)
                    last = _female(last) if female else last
                    middle = _patronymic(father, female) if rng.random() < 0.8 else ""
            elif origin[0] == "ru":
                first = rng.choice(RUSSIAN_FEMALE if female else RUSSIAN_MALE)
                last = rng.choice(RUSSIAN_SURNAMES)
                last = _female(last) if female else last
                middle = rng.choice(RUSSIAN_FATHERS)[female] if rng.random() < 0.9 else ""
            else:
                first = rng.choice(UZBEK_FEMALE if female else UZBEK_MALE)
                last = rng.choice(UZBEK_SURNAMES)
                last = _female(last) if female else last
                father = rng.choice(UZBEK_FATHERS)
                middle = _patronymic(father, female) if rng.random() < 0.6 else ""
            key = fold(f"{last} {first} {middle}")
            if key not in self.used_names:
                self.used_names.add(key)
                return last, first, middle
        raise DemoError("Ran out of distinct demo names.")  # pragma: no cover

    def _email(self, first: str, last: str, birth_year: int | None, domain: str) -> str:
        domain = domain if self.rng.random() < 0.7 else "mail.example"
        local = f"{latin(first)[:1]}.{latin(last)}".lower()
        local = "".join(c for c in local if c.isascii() and (c.isalnum() or c == "."))
        email = f"{local}@{domain}"
        suffix = birth_year % 100 if birth_year else 1
        while email in self.used_emails:
            email = f"{local}{suffix:02d}@{domain}"
            suffix += 1
        self.used_emails.add(email)
        return email

    def _phone(self) -> str:
        rng = self.rng
        operator = rng.choice(["555", "550", "700", "707", "770", "777", "999", "220"])
        a, b = rng.randint(100, 999), rng.randint(100, 999)
        return f"+996 {operator} {a} {b}" if rng.random() < 0.7 else f"0{operator} {a}{b}"

    def _moment_before(self, date: dt.date) -> dt.datetime:
        """Return a working-hours moment a few days before the date, and never in the future."""
        day = min(date - dt.timedelta(days=self.rng.randint(1, 20)), self.today)
        day -= dt.timedelta(days=1) if day == self.today else dt.timedelta()
        hour, minute = self.rng.randint(9, 17), self.rng.choice([0, 15, 30, 45])
        return dt.datetime.combine(
            day, dt.time(hour, minute), tzinfo=timezone.get_current_timezone()
        )

    def _participants_save(self) -> None:
        """Write the new people; someone whose email is already registered is that person."""
        keys = [p.participant.email_key for p in self.people if p.participant.email_key]
        found = {p.email_key: p for p in Participant.objects.filter(email_key__in=keys)}
        new = []
        for person in self.people:
            existing = found.get(person.participant.email_key)
            if existing is None:
                new.append(person.participant)
            else:
                person.participant = existing
        Participant.objects.bulk_create(new)
        self.created["participants"] = len(new)

    # Enrolments, attendance and scores.

    def _enrolments_save(self, sessions: list[Session], rosters: list[list[_Person]]) -> None:
        rng = self.rng
        enrolments, attendance = [], []
        for session, roster in zip(sessions, rosters, strict=True):
            days = self.days[session.code]
            for seat, person in enumerate(roster):
                enrolment = Enrolment(
                    session=session,
                    participant=person.participant,
                    status=self._status(session, seat),
                )
                enrolments.append(enrolment)
                if session.status != Session.Status.COMPLETED:
                    continue
                if enrolment.status not in Enrolment.COUNTED:
                    continue
                absent = 0.02 if person.reliable else 0.3
                present = [rng.random() >= absent for _ in days]
                attendance += [
                    Attendance(enrolment=enrolment, day=day, present=here)
                    for day, here in zip(days, present, strict=True)
                ]
                if session.course.assessed:
                    self._score(enrolment, took_pre=present[0], took_post=present[-1])
        Enrolment.objects.bulk_create(enrolments)
        Attendance.objects.bulk_create(attendance)
        self.created["enrolments"] = len(enrolments)
        self.created["attendance marks"] = len(attendance)

    def _certificates_issue(self, sessions: list[Session]) -> None:
        """Issue the certificates of the completed sessions, as an organiser would."""
        issued = 0
        for session in sessions:
            if session.status == Session.Status.COMPLETED:
                report = certificates_issue(
                    session=session, issued_on=min(session.end_date + ISSUED_AFTER, self.today)
                )
                issued += len(report.issued)
        self.created["certificates"] = issued

    def _status(self, session: Session, seat: int) -> str:
        rng = self.rng
        if session.capacity is not None and seat >= session.capacity:
            return Enrolment.Status.WAITLISTED
        if session.status == Session.Status.CANCELLED:
            return Enrolment.Status.WITHDRAWN if rng.random() < 0.1 else Enrolment.Status.REGISTERED
        if rng.random() < 0.04:
            return Enrolment.Status.WITHDRAWN
        confirmed = 0.9 if session.status == Session.Status.COMPLETED else 0.35
        if rng.random() < confirmed:
            return Enrolment.Status.CONFIRMED
        return Enrolment.Status.REGISTERED

    def _score(self, enrolment: Enrolment, *, took_pre: bool, took_post: bool) -> None:
        """Set believable scores: most gain 15-30 points, a few lose some, a few miss a test."""
        rng = self.rng
        pre = min(95.0, max(8.0, rng.gauss(52, 13)))
        if rng.random() < 0.07:
            post = pre - 1 - abs(rng.gauss(6, 4))
        else:
            post = pre + max(0.0, rng.gauss(23, 9))
        maximum = enrolment.session.max_score

        def points(percent: float) -> Decimal:
            return Decimal(round(min(100.0, max(0.0, percent)) * float(maximum) / 100))

        if took_pre and rng.random() >= 0.03:
            enrolment.pre_score = points(pre)
        if took_post and rng.random() >= 0.03:
            enrolment.post_score = points(post)
        enrolment.clean()
