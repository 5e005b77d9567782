"""Measure Bilim's roster import and ``stats --json`` against the plain way of doing the same work.

    python bench/imports_and_stats.py [--size N] [--roster-rows R] [--runs 3] [--out DIR] [--keep]

The benchmark builds its own database and never touches the developer's: a fresh SQLite file in
``--out`` (default ``bench/out/``), or, when DATABASE_URL names a PostgreSQL database, a database
called ``<that name>_bench`` that it creates and drops (the database the URL names is only used to
connect). It fills it with N enrolments (deterministic, fixed seed), writes an .xlsx roster of R
rows, then prints one line per figure, ``name: value unit``, on standard output; progress goes
to standard error. bench/README.md explains every figure.
"""

import argparse
import bisect
import datetime as dt
import itertools
import json
import os
import random
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SEED = 20251001
# Sessions that end before this day are past (completed or cancelled); later ones are upcoming.
TODAY = dt.date(2025, 10, 1)
FIRST_DAY = dt.date(2019, 1, 7)
LAST_DAY = dt.date(2026, 6, 30)
BATCH = 2000


def emit(name: str, value: object, unit: str) -> None:
    """Print one figure as ``name: value unit``."""
    print(f"{name}: {value} {unit}", flush=True)


def seconds(value: float) -> str:
    """Format a duration: milliseconds are enough for long ones, tiny ones keep their digits."""
    return f"{value:.3f}" if value >= 0.1 else f"{value:.6f}"


def ratio(numerator: float, denominator: float) -> str:
    return f"{numerator / max(denominator, 1e-9):.2f}"


def note(message: str) -> None:
    """Print progress to standard error, so that standard output holds the figures only."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def best_of(runs: int, work: Callable[[], Any]) -> tuple[float, Any]:
    """Run ``work`` ``runs`` times; return the shortest wall time and the last result."""
    best = float("inf")
    result = None
    for _ in range(runs):
        start = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - start)
    return best, result


def batched(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# --- the database ------------------------------------------------------------------------------


def open_database(
    out: Path, keep: bool, sqlite_name: str = "bench.sqlite3"
) -> tuple[str, Callable[[], None]]:
    """Point Django at a database of the benchmark's own; return its vendor and a clean-up.

    PostgreSQL: ``<name>_bench`` beside the database DATABASE_URL names; otherwise
    ``out/<sqlite_name>``.
    """
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://", "pgsql://")):
        return "postgresql", _postgres_database(url, keep)
    return "sqlite", sqlite_database(out / sqlite_name, keep)


def sqlite_database(path: Path, keep: bool) -> Callable[[], None]:
    """Point Django at a fresh SQLite file; return the clean-up that removes it unless kept."""
    for stale in (path, path.with_name(path.name + "-journal")):
        stale.unlink(missing_ok=True)
    os.environ["DATABASE_URL"] = f"sqlite:///{path}"

    def drop() -> None:
        from django.db import connections

        connections.close_all()
        if not keep:
            path.unlink(missing_ok=True)

    return drop


def _postgres_database(url: str, keep: bool) -> Callable[[], None]:
    import dj_database_url
    import psycopg
    from psycopg import sql

    config = dj_database_url.parse(url)
    bench_name = f"{config['NAME']}_bench"
    params = {
        "dbname": config["NAME"],
        "user": config.get("USER") or None,
        "password": config.get("PASSWORD") or None,
        "host": config.get("HOST") or None,
        "port": config.get("PORT") or None,
    }
    params = {k: v for k, v in params.items() if v is not None}

    def run(statement: sql.Composable) -> None:
        try:
            admin = psycopg.connect(**params, autocommit=True)
        except psycopg.OperationalError:
            # The database the URL names need not exist (pytest-django creates test_<name>):
            # connect to the maintenance database instead, as Django does.
            admin = psycopg.connect(**{**params, "dbname": "postgres"}, autocommit=True)
        with admin:
            admin.execute(statement)

    name = sql.Identifier(bench_name)
    # Only ever the benchmark's own database: the one the URL names is left alone.
    run(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
    run(sql.SQL("CREATE DATABASE {}").format(name))
    os.environ["DATABASE_URL"] = urlsplit(url)._replace(path=f"/{bench_name}").geturl()

    def drop() -> None:
        from django.db import connections

        connections.close_all()
        if not keep:
            run(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))

    return drop


def setup_django(migrate: bool = True) -> None:
    """Configure Django on the benchmark's database and (unless told not to) migrate it."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.local"
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    # The local settings run with DEBUG on, which makes Django format and keep the SQL of every
    # query: a cost production does not pay and bulk inserts would pay dearly.
    settings.DEBUG = False
    if migrate:
        call_command("migrate", verbosity=0, interactive=False)


def analyze() -> None:
    """Refresh the planner's statistics, as a database that has been running for a while has.

    On PostgreSQL, also vacuum away the rows an undone import left dead, so that each run
    starts from the same state.
    """
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


# --- realistic values --------------------------------------------------------------------------

COURSES = [
    ("UPR", "UN human rights mechanisms: the Universal Periodic Review", "UN mechanisms", True),
    ("TB-REP", "Treaty Body reporting and individual communications", "UN mechanisms", True),
    ("SP-PROC", "Special Procedures of the Human Rights Council", "UN mechanisms", True),
    (
        "OPCAT",
        "Prevention of torture: OPCAT and the national preventive mechanism",
        "Torture",
        True,
    ),
    ("IST-PROT", "Documenting torture under the Istanbul Protocol", "Torture", True),
    ("GSR", "Gender-sensitive reporting", "Media and gender", False),
    ("CTHB", "Combating trafficking in human beings", "Trafficking and migration", True),
    ("COMPOL", "Community policing", "Policing", True),
    ("FAIR-TRIAL", "Fair-trial standards and trial monitoring", "Justice", True),
    ("NMIRF", "The national mechanism for implementation, reporting and follow-up", "UN", True),
    ("MIGR", "Rights of migrant workers and their families", "Trafficking and migration", True),
    ("CRPD", "Rights of persons with disabilities", "Equality", False),
]

NATIONAL_AGENCIES = [
    ("Министерство юстиции Кыргызской Республики", "Ministry"),
    ("Министерство внутренних дел Кыргызской Республики", "Police"),
    ("Министерство труда, социального обеспечения и миграции", "Ministry"),
    ("Министерство здравоохранения Кыргызской Республики", "Ministry"),
    ("Министерство культуры, информации, спорта и молодежной политики", "Ministry"),
    ("Генеральная прокуратура Кыргызской Республики", "Prosecution"),
    ("Верховный суд Кыргызской Республики", "Court"),
    ("Служба пробации", "Penitentiary"),
    ("Служба исполнения наказаний", "Penitentiary"),
    ("Пограничная служба", "Police"),
    ("Служба по делам миграции", "Ministry"),
    ("Институт Акыйкатчы (Омбудсмена)", "Ombudsman"),
    ("Национальный центр по предупреждению пыток", "Ombudsman"),
    ("Секретариат Координационного совета по правам человека", "Ministry"),
    ("Жогорку Кенеш Кыргызской Республики", "Parliament"),
    ("Кыргызский национальный университет им. Ж. Баласагына", "Academia"),
    ("Американский университет в Центральной Азии", "Academia"),
    ("Общественный фонд «Голос свободы»", "Civil society"),
    ("Правозащитное движение «Кылым шамы»", "Civil society"),
    ("Правовая клиника «Адилет»", "Civil society"),
    ("Общественная телерадиовещательная корпорация", "Media"),
    ("Информационное агентство «24.kg»", "Media"),
    ("Kloop Media", "Media"),
    ("OSCE Programme Office in Bishkek", "International organisation"),
    ("UNDP Kyrgyzstan", "International organisation"),
]

REGION_GENITIVE = {
    "Batken": "Баткенской области",
    "Chui": "Чуйской области",
    "Issyk-Kul": "Иссык-Кульской области",
    "Jalal-Abad": "Джалал-Абадской области",
    "Naryn": "Нарынской области",
    "Osh": "Ошской области",
    "Talas": "Таласской области",
    "Bishkek city": "города Бишкек",
    "Osh city": "города Ош",
}

REGIONAL_AGENCIES = [
    ("Прокуратура {}", "Prosecution"),
    ("Управление внутренних дел {}", "Police"),
    ("Местный суд {}", "Court"),
    ("Представительство Акыйкатчы {}", "Ombudsman"),
    ("Управление социального развития {}", "Ministry"),
    ("Инициативная группа женщин {}", "Civil society"),
    ("Отдел пробации {}", "Penitentiary"),
]

VILLAGES = [
    "Ак-Суу", "Кара-Балта", "Токмок", "Кант", "Балыкчы", "Каракол", "Чолпон-Ата", "Кочкор",
    "Ат-Башы", "Узген", "Кара-Суу", "Ноокат", "Араван", "Кызыл-Кия", "Сулюкта", "Исфана",
    "Базар-Коргон", "Сузак", "Токтогул", "Таш-Комур", "Кара-Куль", "Бакай-Ата", "Манас",
    "Кара-Буура", "Талас", "Ысык-Ата", "Сокулук", "Аламудун", "Жайыл", "Панфилов",
]  # fmt: skip

SESSION_VENUES = {
    "Batken": "Batken, regional administration hall",
    "Chui": "Tokmok, Chui regional library",
    "Issyk-Kul": "Cholpon-Ata, Karven Four Seasons",
    "Jalal-Abad": "Jalal-Abad, Hotel Mol-Bulak",
    "Naryn": "Naryn, University of Central Asia",
    "Osh": "Osh, Hotel Classic",
    "Talas": "Talas, regional court training room",
    "Bishkek city": "Bishkek, Hotel Jannat",
    "Osh city": "Osh, Osh State University",
}

MALE_FIRST = [
    "Нурлан", "Азамат", "Бакыт", "Эрлан", "Талант", "Улан", "Марат", "Канат", "Бектур", "Айбек",
    "Жоомарт", "Медер", "Нурбек", "Темир", "Эмил", "Чынгыз", "Дастан", "Руслан", "Алмаз",
    "Болот", "Алексей", "Сергей", "Дмитрий", "Андрей", "Игорь", "Владимир", "Павел", "Олег",
]  # fmt: skip
FEMALE_FIRST = [
    "Айгүл", "Гүлнара", "Жылдыз", "Асель", "Нургүл", "Бермет", "Айжан", "Чолпон", "Динара",
    "Назгүл", "Айнура", "Мээрим", "Үмүт", "Жазгүл", "Элмира", "Сезим", "Бүбүсара", "Калыйча",
    "Елена", "Ольга", "Татьяна", "Наталья", "Ирина", "Светлана", "Анна", "Юлия",
]  # fmt: skip
# Male forms; the female form adds "а" (Токтогулов, Токтогулова; Ковалёв, Ковалёва).
LAST_NAMES = [
    "Токтогулов", "Өмүрбеков", "Асанбеков", "Жумабаев", "Садыров", "Абдыкадыров", "Бейшенов",
    "Касымов", "Мамбетов", "Осмонов", "Турдубаев", "Эсенгулов", "Акматов", "Байзаков",
    "Жээнбеков", "Кадыров", "Мырзакматов", "Сатыбалдиев", "Токтосунов", "Усенов", "Исаков",
    "Орозбеков", "Абдрахманов", "Алиев", "Ниязов", "Бакиров", "Шаршенов", "Дуйшеналиев",
    "Ковалёв", "Иванов", "Смирнов", "Петров", "Соколов", "Попов", "Кузнецов", "Морозов",
    "Волков", "Лебедев", "Семёнов", "Фёдоров",
]  # fmt: skip
FATHER_NAMES = [
    "Нурлан", "Бакыт", "Асан", "Марат", "Канат", "Эркин", "Талант", "Мелис", "Алмаз", "Бекташ",
    "Иван", "Петр", "Владимир", "Олег", "Борис", "Роман", "Максим", "Тимур", "Руслан", "Азамат",
]  # fmt: skip
POSITIONS = [
    "Главный специалист", "Ведущий специалист", "Прокурор", "Старший прокурор", "Судья",
    "Следователь", "Инспектор", "Старший инспектор", "Начальник отдела",
    "Заместитель начальника управления", "Юрист", "Журналист", "Координатор проекта", "Советник",
    "Эксперт", "Социальный работник", "Участковый инспектор милиции", "Преподаватель",
]  # fmt: skip
EMAIL_DOMAINS = ["mail.kg", "gmail.com", "mail.ru", "gov.kg", "yandex.ru", "prokuratura.kg"]
NEW_AGENCY_KINDS = [
    ("Айыл окмоту «{}»", "Local government"),
    ("Общественный фонд «{} для всех»", "Civil society"),
    ("Кризисный центр «{}»", "Civil society"),
    ("Районная газета «{} жаңылыктары»", "Media"),
    ("Отдел внутренних дел района «{}»", "Police"),
    ("Колледж «{}»", "Academia"),
    ("Управление образования «{}»", "Ministry"),
]
GENDER_SPELLINGS = {
    "female": ["female", "F", "ж", "Жен", "женский", "аял", "Woman", "ЖЕНЩИНА"],
    "male": ["male", "M", "м", "муж", "Мужской", "эркек", "Man", "МУЖЧИНА"],
    "other": ["other", "другое"],
    "undisclosed": ["", "undisclosed", "не указано", "-"],
}

_LATIN = [
    "a", "b", "v", "g", "d", "e", "yo", "zh", "z", "i", "y", "k", "l", "m", "n", "ng", "o", "o",
    "p", "r", "s", "t", "u", "u", "f", "kh", "ts", "ch", "sh", "sch", "", "y", "", "e", "yu", "ya",
]  # fmt: skip
_TRANSLIT = dict(zip("абвгдеёжзийклмнңоөпрстуүфхцчшщъыьэюя", _LATIN, strict=True))


def translit(text: str) -> str:
    return "".join(_TRANSLIT.get(ch, ch) for ch in text.lower() if ch.isalnum())


# --- generating the registry -------------------------------------------------------------------


@dataclass
class Person:
    """What the roster needs to know about a generated participant, without the ORM object."""

    id: int
    last_name: str
    first_name: str
    middle_name: str
    gender: str
    birth_year: int | None
    agency: str
    position: str
    region: str
    email: str
    phone: str
    disability: str


@dataclass
class World:
    """The generated registry, as much of it as the roster and the checks need."""

    enrolments: int = 0
    participants: list[Person] = field(default_factory=list)
    sessions: int = 0
    attendance: int = 0
    certificates: int = 0
    agencies: list[tuple[str, str]] = field(default_factory=list)
    name_keys: set[str] = field(default_factory=set)
    # Upcoming sessions (code -> ids of the people already enrolled): the roster fills these.
    upcoming: dict[str, set[int]] = field(default_factory=dict)


def person_name(rng: random.Random, gender: str) -> tuple[str, str, str]:
    female = gender == "female" or (gender != "male" and rng.random() < 0.5)
    last = rng.choice(LAST_NAMES) + ("а" if female else "")
    first = rng.choice(FEMALE_FIRST if female else MALE_FIRST)
    middle = ""
    if rng.random() < 0.85:
        middle = rng.choice(FATHER_NAMES) + ("овна" if female else "ович")
    return last, first, middle


def phone(rng: random.Random) -> str:
    return f"+996 {rng.choice([555, 700, 707, 770, 778, 990, 312])} {rng.randint(100000, 999999)}"


PARTICIPANT_COLUMNS = [
    "id", "last_name", "first_name", "middle_name", "name_key", "gender", "birth_year", "agency",
    "position", "region", "email", "email_key", "phone", "disability", "consent", "consent_at",
]  # fmt: skip
CERTIFICATE_COLUMNS = [
    "enrolment", "number", "sequence", "code", "issued_on", "revoked", "revoked_on",
    "revoked_reason",
]  # fmt: skip


def insert(model: Any, columns: list[str], rows: Iterable[tuple]) -> int:
    """Insert rows of plain values in bulk; return how many.

    ``bulk_create`` spends some 50 microseconds of Python per object preparing each field,
    which made generating 100,000 enrolments (and the half a million rows around them) take
    over a minute; the values here are already what the database stores, so the generator
    skips that: COPY on PostgreSQL, INSERTs of as many rows as SQLite takes parameters
    elsewhere. Columns left out take their database default (``created_at``: now).
    """
    from django.db import connection

    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(model._meta.get_field(column).column) for column in columns)
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
            return count
        values = f"({', '.join(['%s'] * len(columns))})"
        for chunk in batched(rows, (connection.features.max_query_params or 999) // len(columns)):
            cursor.execute(
                f"INSERT INTO {table} ({names}) VALUES {', '.join([values] * len(chunk))}",
                [value for row in chunk for value in row],
            )
            count += len(chunk)
    return count


def next_id(model: Any) -> int:
    from django.db.models import Max

    return (model.objects.aggregate(top=Max("pk"))["top"] or 0) + 1


def generate(size: int) -> World:
    """Fill the database with ``size`` enrolments and everything around them, in bulk."""
    from django.core.management.color import no_style
    from django.db import connection, transaction
    from django.utils import timezone

    from certificates.models import Certificate
    from participants.models import Agency, AgencyType, Gender, Participant, Region
    from participants.normalize import email_key, fold, name_key
    from trainings.models import Attendance, Course, Enrolment, Session, TrainingDay

    rng = random.Random(SEED)
    world = World()
    genders = {g.code: g.pk for g in Gender.objects.all()}
    agency_types = {t.name: t.pk for t in AgencyType.objects.all()}
    regions = {r.name: r.pk for r in Region.objects.all()}
    region_names = list(REGION_GENITIVE)
    pick_gender = picker(rng, {"female": 52, "male": 46, "other": 0.5, "undisclosed": 1.5})
    pick_disability = picker(rng, {"yes": 3, "no": 60, "": 37})

    with transaction.atomic():
        courses = Course.objects.bulk_create(
            Course(code=code, title=title, thematic_area=area, assessed=assessed)
            for code, title, area, assessed in COURSES
        )

        agency_rows = list(NATIONAL_AGENCIES)
        for region_name in region_names:
            for pattern, kind in REGIONAL_AGENCIES:
                agency_rows.append((pattern.format(REGION_GENITIVE[region_name]), kind))
        agency_rows += [(f"Айыл окмоту «{village}»", "Local government") for village in VILLAGES]
        agencies = Agency.objects.bulk_create(
            Agency(name=name, name_key=fold(name), type_id=agency_types[kind])
            for name, kind in agency_rows
        )
        world.agencies = agency_rows
        # Most people work for a few big national agencies; the long tail is regional.
        pick_agency = picker(
            rng,
            {i: 8 if i < len(NATIONAL_AGENCIES) else 1 for i in range(len(agencies))},
        )

        n_people = max(1, round(size / 2.5))
        first_person = next_id(Participant)
        consent_at = Participant._meta.get_field("consent_at").get_db_prep_save(
            timezone.make_aware(dt.datetime(2019, 1, 1, 9, 0)), connection
        )
        people: list[Person] = []
        rows: list[tuple] = []
        for i in range(n_people):
            gender = pick_gender()
            last, first, middle = person_name(rng, gender)
            agency_index = pick_agency()
            region = rng.choice(region_names) if rng.random() < 0.95 else ""
            email = ""
            if rng.random() < 0.85:
                email = f"{translit(first)}.{translit(last)}.{i}@{rng.choice(EMAIL_DOMAINS)}"
            person = Person(
                id=first_person + i,
                last_name=last,
                first_name=first,
                middle_name=middle,
                gender=gender,
                birth_year=rng.randint(1960, 2002) if rng.random() < 0.95 else None,
                agency=agency_rows[agency_index][0],
                position=rng.choice(POSITIONS),
                region=region,
                email=email,
                phone=phone(rng) if rng.random() < 0.7 else "",
                disability=pick_disability(),
            )
            key = name_key(last, first, middle)
            world.name_keys.add(key)
            people.append(person)
            rows.append(
                (
                    person.id,
                    last,
                    first,
                    middle,
                    key,
                    genders[gender],
                    person.birth_year,
                    agencies[agency_index].pk,
                    person.position,
                    regions[region] if region else None,
                    email,
                    email_key(email),
                    person.phone,
                    person.disability,
                    True,
                    consent_at,
                )
            )
        insert(
            Participant,
            PARTICIPANT_COLUMNS,
            rows,
        )
        world.participants = people

        # Session sizes first, so that the enrolments add up to exactly ``size``.
        sizes: list[int] = []
        while sum(sizes) < size:
            sizes.append(min(rng.randint(12, 40), n_people, size - sum(sizes)))
        n_upcoming = max(2, round(len(sizes) * 0.07))
        pick_past_status = picker(rng, {Session.Status.COMPLETED: 96, Session.Status.CANCELLED: 4})
        pick_format = picker(rng, {"in_person": 85, "online": 8, "hybrid": 7})
        pick_language = picker(rng, {"ru": 70, "ky": 25, "en": 5})
        pick_max_score = picker(rng, {Decimal(100): 80, Decimal(50): 10, Decimal(20): 10})
        sessions: list[Session] = []
        session_days: list[list[dt.date]] = []
        for index in range(len(sizes)):
            course = courses[rng.randrange(len(courses))]
            upcoming = index >= len(sizes) - n_upcoming
            span = (LAST_DAY - TODAY).days if upcoming else (TODAY - FIRST_DAY).days - 10
            start = (TODAY if upcoming else FIRST_DAY) + dt.timedelta(days=rng.randrange(span))
            length = rng.choice([2, 3, 3, 3, 4])
            days = [start + dt.timedelta(days=d) for d in range(length)]
            if length == 4 and rng.random() < 0.3:
                days.pop(rng.choice([1, 2]))  # a day off in the middle of the session
            if upcoming:
                status = rng.choice([Session.Status.OPEN, Session.Status.PLANNED])
            else:
                status = pick_past_status()
            region = rng.choice(region_names)
            sessions.append(
                Session(
                    code=f"{course.code}-{start:%Y%m%d}-{index:05d}",
                    course=course,
                    start_date=start,
                    end_date=start + dt.timedelta(days=length - 1),
                    region_id=regions[region],
                    venue=SESSION_VENUES[region],
                    format=pick_format(),
                    language=pick_language(),
                    capacity=None if upcoming or rng.random() < 0.5 else 40,
                    status=status,
                    max_score=pick_max_score(),
                    pass_mark=course.pass_mark,
                    min_attendance=course.min_attendance,
                )
            )
            session_days.append(days)
        Session.objects.bulk_create(sessions, batch_size=BATCH)
        world.sessions = len(sessions)
        day_objects = TrainingDay.objects.bulk_create(
            (
                TrainingDay(session_id=session.pk, date=day)
                for session, days in zip(sessions, session_days, strict=True)
                for day in days
            ),
            batch_size=BATCH,
        )
        day_ids: dict[int, list[int]] = {}
        for day in day_objects:
            day_ids.setdefault(day.session_id, []).append(day.pk)

        past_statuses = picker(
            rng, {"confirmed": 85, "registered": 3, "withdrawn": 8, "waitlisted": 4}
        )
        upcoming_statuses = picker(
            rng, {"registered": 60, "confirmed": 25, "waitlisted": 10, "withdrawn": 5}
        )
        counted = set(Enrolment.COUNTED)
        enrolment_id = next_id(Enrolment)
        enrolments: list[tuple] = []
        attendance: list[tuple] = []
        certificates: list[tuple] = []
        sequences: dict[int, int] = defaultdict(int)
        for index, session in enumerate(sessions):
            members = rng.sample(range(n_people), sizes[index])
            completed = session.status == Session.Status.COMPLETED
            if session.status in (Session.Status.OPEN, Session.Status.PLANNED):
                world.upcoming[session.code] = {people[m].id for m in members}
            pick_status = upcoming_statuses if session.code in world.upcoming else past_statuses
            assessed = session.course.assessed
            max_score = float(session.max_score)
            days = day_ids[session.pk]
            for member in members:
                status = pick_status()
                pre = post = None
                if completed and assessed and status in counted:
                    pre_pct = min(100.0, max(0.0, rng.gauss(50, 15)))
                    post_pct = min(100.0, max(0.0, pre_pct + rng.gauss(18, 12)))
                    if rng.random() < 0.92:
                        pre = score(pre_pct, max_score)
                    if rng.random() < 0.90:
                        post = score(post_pct, max_score)
                enrolments.append((enrolment_id, session.pk, people[member].id, status, pre, post))
                if completed and status in counted:
                    diligence = rng.choice([1.0, 1.0, 0.95, 0.9, 0.8, 0.5])
                    present = 0
                    for day_id in days:
                        here = rng.random() < diligence
                        present += here
                        attendance.append((enrolment_id, day_id, here))
                    eligible = present * 100 >= session.min_attendance * len(days) and (
                        not assessed
                        or (post is not None and post * 100 >= session.pass_mark * max_score)
                    )
                    if eligible and rng.random() < 0.9:
                        revoked = rng.random() < 0.01
                        issued = session.end_date + dt.timedelta(days=3)
                        sequences[session.pk] += 1
                        certificates.append(
                            (
                                enrolment_id,
                                f"{session.code}-{sequences[session.pk]:03d}",
                                sequences[session.pk],
                                f"{rng.getrandbits(128):032x}",
                                issued,
                                revoked,
                                issued + dt.timedelta(days=30) if revoked else None,
                                "Issued by mistake: attendance was corrected" if revoked else "",
                            )
                        )
                enrolment_id += 1
        world.enrolments = insert(
            Enrolment,
            ["id", "session", "participant", "status", "pre_score", "post_score"],
            ((*row[:4], _decimal(row[4]), _decimal(row[5])) for row in enrolments),
        )
        world.attendance = insert(Attendance, ["enrolment", "day", "present"], attendance)
        world.certificates = insert(
            Certificate,
            CERTIFICATE_COLUMNS,
            certificates,
        )
        # Ids were given explicitly: move PostgreSQL's sequences past them (SQLite needs not).
        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(
                no_style(), [Participant, Enrolment, Attendance, Certificate]
            ):
                cursor.execute(statement)
    analyze()
    return world


def _decimal(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def picker(rng: random.Random, weights: dict[Any, float]) -> Callable[[], Any]:
    """Return a function that picks a key with probability proportional to its weight."""
    keys = list(weights)
    cumulative = list(itertools.accumulate(weights.values()))
    total = cumulative[-1]

    def pick() -> Any:
        return keys[bisect.bisect_right(cumulative, rng.random() * total)]

    return pick


def score(percent: float, max_score: float) -> float:
    """Return a score out of ``max_score`` for a percentage, in half points."""
    return round(percent * max_score / 50) / 2


# --- the roster --------------------------------------------------------------------------------

ROSTER_COLUMNS = [
    "session", "last_name", "first_name", "middle_name", "gender", "birth_year", "agency",
    "agency_type", "position", "region", "email", "phone", "disability",
]  # fmt: skip


@dataclass
class Roster:
    path: Path
    rows: int
    new_people: int
    new_agencies: int


def new_name(rng: random.Random, gender: str, taken: set[str]) -> tuple[str, str, str]:
    """Return a name no one in ``taken`` has (then take it): a new person no rule can match.

    Past a few tries the common names are used up, and the person gets a double surname, which
    the generated registry never has.
    """
    from participants.normalize import name_key

    for attempt in range(1000):
        last, first, middle = person_name(rng, gender)
        if attempt >= 10:
            last = f"{last}-{person_name(rng, gender)[0]}"
        key = name_key(last, first, middle)
        if key not in taken:
            taken.add(key)
            return last, first, middle
    raise RuntimeError("cannot find a name nobody has")


def write_roster(world: World, rows: int, out: Path) -> Roster:
    """Write an .xlsx roster for upcoming sessions: a few known people, most of them new.

    About 15% of the rows name people already in the registry by their email, with the values
    on record, so they are matched and left unchanged. The rest are new people, a tenth of them
    without an email, all with a name nobody else has, so that no rule matches them to anyone
    (and the bare bulk_create, which matches by email only, writes the same records). About one
    row in 50 names a new agency, its type given only on the first row that names it, as the
    contract allows.
    """
    from openpyxl import Workbook

    rng = random.Random(SEED + 1)
    pick_gender = picker(rng, {"female": 55, "male": 43, "other": 0.5, "undisclosed": 1.5})
    pick_disability = picker(rng, {"yes": 3, "no": 70, "": 27})
    sessions = sorted(world.upcoming)
    known = [p for p in world.participants if p.email]
    used: set[tuple[str, int]] = set()
    new_agencies: list[tuple[str, str]] = []
    name_keys = set(world.name_keys)
    new_people = 0
    # Not write-only: that mode leaves out the sheet's dimension record, which Excel writes and
    # without which openpyxl's reader scans the whole sheet twice.
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Roster"
    sheet.append(ROSTER_COLUMNS)
    for number in range(rows):
        session = rng.choice(sessions)
        if known and rng.random() < 0.15:
            for _ in range(100):
                index = rng.randrange(len(known))
                person = known[index]
                if (session, person.id) not in used and person.id not in world.upcoming[session]:
                    break
            else:
                raise RuntimeError("cannot find a known person to enrol: use a larger --size")
            used.add((session, person.id))
            sheet.append(
                [
                    session,
                    person.last_name,
                    person.first_name,
                    person.middle_name,
                    rng.choice(GENDER_SPELLINGS[person.gender]),
                    person.birth_year,
                    person.agency,
                    "",
                    person.position,
                    person.region,
                    person.email,
                    person.phone,
                    person.disability,
                ]
            )
            continue
        new_people += 1
        gender = pick_gender()
        last, first, middle = new_name(rng, gender, name_keys)
        email = ""
        if rng.random() < 0.9:
            email = f"{translit(first)}.{translit(last)}.r{number}@{rng.choice(EMAIL_DOMAINS)}"
        agency_type = ""
        if rng.random() < 0.02 or not new_agencies:
            pattern, agency_type = rng.choice(NEW_AGENCY_KINDS)
            agency = pattern.format(rng.choice(VILLAGES))
            taken = {a for a, _ in new_agencies} | {a for a, _ in world.agencies}
            if agency in taken:
                agency = f"{agency} №{len(new_agencies) + 1}"
            new_agencies.append((agency, agency_type))
        elif rng.random() < 0.3:
            agency = rng.choice(new_agencies)[0]
        else:
            agency = rng.choice(world.agencies)[0]
            if rng.random() < 0.1:
                agency = agency.upper()  # the same agency, typed in capitals
        sheet.append(
            [
                session,
                last,
                first,
                middle,
                rng.choice(GENDER_SPELLINGS[gender]),
                rng.randint(1960, 2003),
                agency,
                agency_type,
                rng.choice(POSITIONS),
                rng.choice(list(REGION_GENITIVE)) if rng.random() < 0.95 else "",
                email,
                phone(rng) if rng.random() < 0.8 else "",
                pick_disability(),
            ]
        )
    path = out / "roster.xlsx"
    workbook.save(path)
    return Roster(path=path, rows=rows, new_people=new_people, new_agencies=len(new_agencies))


# --- measuring the roster import ---------------------------------------------------------------


def high_water() -> dict[str, int]:
    """Return the highest primary key of each table an import writes to."""
    from django.db.models import Max

    from participants.models import Agency, Participant
    from trainings.models import Enrolment

    return {
        model.__name__: model.objects.aggregate(top=Max("pk"))["top"] or 0
        for model in (Agency, Participant, Enrolment)
    }


def record_counts() -> dict[str, int]:
    from participants.models import Agency, Participant
    from trainings.models import Enrolment

    return {model.__name__: model.objects.count() for model in (Agency, Participant, Enrolment)}


def undo_import(before: dict[str, int], counts: dict[str, int]) -> None:
    """Delete what an import created, so that the next one starts from the same data."""
    from django.db import transaction

    from participants.models import Agency, Participant
    from trainings.models import Enrolment

    with transaction.atomic():
        for model in (Enrolment, Participant, Agency):
            model.objects.filter(pk__gt=before[model.__name__]).delete()
    if record_counts() != counts:
        raise SystemExit("undoing a roster import left records behind")
    analyze()


def check_import(roster: Roster, start: dict[str, int], what: str) -> None:
    """Fail loudly unless the import created exactly the roster's records."""
    expected = {
        "Agency": start["Agency"] + roster.new_agencies,
        "Participant": start["Participant"] + roster.new_people,
        "Enrolment": start["Enrolment"] + roster.rows,
    }
    found = record_counts()
    if found != expected:
        raise SystemExit(f"{what} did not write the roster: expected {expected}, found {found}")


def bare_bulk_create(path: Path) -> None:
    """Read the roster and write it with bulk_create: no validation, one query per table.

    The least any import must do: read the file, look up the sessions, agencies, genders and
    regions it names and the people it names by email (to link, not duplicate, them), and
    insert the new agencies, people and enrolments.
    """
    from django.db import transaction
    from django.utils import timezone

    from participants.models import Agency, AgencyType, Gender, Participant, Region
    from participants.normalize import email_key, fold
    from trainings.importing import GENDER_SPELLINGS as SPELLINGS
    from trainings.importing import load_dataset
    from trainings.models import Enrolment, Session

    dataset = load_dataset(path)
    position = {header: index for index, header in enumerate(dataset.headers)}
    rows = [
        {c: ("" if v is None else v) for c, v in zip(position, row, strict=True)} for row in dataset
    ]
    with transaction.atomic():
        sessions = dict(
            Session.objects.filter(code__in={r["session"] for r in rows}).values_list("code", "pk")
        )
        genders = dict(Gender.objects.values_list("code", "pk"))
        regions = {key: r.pk for r in Region.objects.all() for key in r.spellings}
        types = {key: t.pk for t in AgencyType.objects.all() for key in t.spellings}
        agencies = dict(
            Agency.objects.filter(name_key__in={fold(r["agency"]) for r in rows}).values_list(
                "name_key", "pk"
            )
        )
        new_agencies: dict[str, Agency] = {}
        for row in rows:
            key = fold(row["agency"])
            if key not in agencies and key not in new_agencies:
                new_agencies[key] = Agency(
                    name=row["agency"], name_key=key, type_id=types[fold(row["agency_type"])]
                )
        for agency in Agency.objects.bulk_create(new_agencies.values(), batch_size=BATCH):
            agencies[agency.name_key] = agency.pk
        people = dict(
            Participant.objects.filter(
                email_key__in={email_key(r["email"]) for r in rows if r["email"]}
            ).values_list("email_key", "pk")
        )
        new_people: list[tuple[dict, Participant]] = []
        now = timezone.now()
        for row in rows:
            if row["email"] and email_key(row["email"]) in people:
                continue
            participant = Participant(
                last_name=row["last_name"],
                first_name=row["first_name"],
                middle_name=row["middle_name"],
                gender_id=genders[SPELLINGS[fold(row["gender"])]],
                birth_year=row["birth_year"] or None,
                agency_id=agencies[fold(row["agency"])],
                position=row["position"],
                region_id=regions[fold(row["region"])] if row["region"] else None,
                email=row["email"],
                phone=row["phone"],
                disability=row["disability"],
                # Given, as Bilim's import gives them: left out, every row would carry the
                # fields' database-default expressions, which bulk_create compiles one by one.
                consent_version="",
                created_at=now,
                updated_at=now,
            )
            participant.refresh_keys()
            new_people.append((row, participant))
        Participant.objects.bulk_create([p for _, p in new_people], batch_size=BATCH)
        created = {id(row): p.pk for row, p in new_people}
        Enrolment.objects.bulk_create(
            (
                Enrolment(
                    session_id=sessions[row["session"]],
                    participant_id=created.get(id(row)) or people[email_key(row["email"])],
                    status=Enrolment.Status.REGISTERED,
                    created_at=now,
                    updated_at=now,
                )
                for row in rows
            ),
            batch_size=BATCH,
        )


def openpyxl_read(path: Path) -> int:
    """Read the roster the plain way: openpyxl's read-only sheet, every row's values."""
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        return sum(1 for _ in workbook.worksheets[0].iter_rows(values_only=True))
    finally:
        workbook.close()


def bilim_import(path: Path) -> Any:
    """Import the roster the way ``manage.py import_roster FILE`` does."""
    from participants.resources import RosterResource
    from trainings.importing import load_dataset

    return RosterResource().import_data(load_dataset(path))


def measure_roster(roster: Roster, runs: int) -> None:
    """Time the bare bulk_create and Bilim's import, alternately, from the same data each time.

    Both read the file with Bilim's reader (trainings.importing.load_dataset), so that their
    ratio is the price of the checks and the matching; the reader itself is timed beside
    openpyxl's own read-only reader of the same file.
    """
    from trainings.importing import load_dataset

    load_dataset(roster.path)  # warm up: openpyxl's modules and the file in the page cache
    start = high_water()
    counts = record_counts()

    read_seconds, dataset = best_of(runs, lambda: load_dataset(roster.path))
    openpyxl_seconds, read_rows = best_of(runs, lambda: openpyxl_read(roster.path))
    if read_rows != len(dataset) + 1:
        raise SystemExit(f"openpyxl read {read_rows} rows, Bilim's reader {len(dataset) + 1}")
    bare_seconds = import_seconds = float("inf")
    for run in range(1, runs + 1):
        note(f"roster, run {run} of {runs}: bare bulk_create")
        elapsed, _ = best_of(1, lambda: bare_bulk_create(roster.path))
        bare_seconds = min(bare_seconds, elapsed)
        check_import(roster, counts, "the bare bulk_create")
        undo_import(start, counts)

        note(f"roster, run {run} of {runs}: Bilim's import")
        elapsed, result = best_of(1, lambda: bilim_import(roster.path))
        import_seconds = min(import_seconds, elapsed)
        if result.problems or result.base_errors:
            shown = "\n".join(str(p) for p in result.problems[:20])
            raise SystemExit(f"the roster import reported problems:\n{shown}\n{result.base_errors}")
        check_import(roster, counts, "RosterResource")
        undo_import(start, counts)

    emit("roster_read_seconds", seconds(read_seconds), "s")
    emit("roster_read_openpyxl_seconds", seconds(openpyxl_seconds), "s")
    emit("roster_read_ratio", ratio(read_seconds, openpyxl_seconds), "x")
    emit("roster_import_seconds", seconds(import_seconds), "s")
    emit("roster_import_rows_per_second", f"{roster.rows / import_seconds:.0f}", "rows/s")
    emit("roster_bulk_create_seconds", seconds(bare_seconds), "s")
    emit("roster_import_ratio", ratio(import_seconds, bare_seconds), "x")


# --- measuring the statistics ------------------------------------------------------------------


def gender_sql() -> dict[str, dict[str, int]]:
    """Count participants and participations by gender with one hand-written GROUP BY."""
    from django.db import connection

    from participants.models import Gender, Participant
    from trainings.models import Enrolment, Session

    query = f"""
        SELECT g.code, COUNT(DISTINCT e.participant_id), COUNT(*)
        FROM {Enrolment._meta.db_table} e
        JOIN {Session._meta.db_table} s ON s.id = e.session_id
        JOIN {Participant._meta.db_table} p ON p.id = e.participant_id
        JOIN {Gender._meta.db_table} g ON g.id = p.gender_id
        WHERE e.status IN (%s, %s) AND s.status <> %s
        GROUP BY g.code
    """
    with connection.cursor() as cursor:
        cursor.execute(query, [*Enrolment.COUNTED, Session.Status.CANCELLED])
        return {
            code: {"participants": participants, "participations": participations}
            for code, participants, participations in cursor.fetchall()
        }


def measure_stats(runs: int) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from reports.stats import Filters, summary

    sql_seconds, by_gender = best_of(runs, gender_sql)

    def stats_json() -> tuple[dict, str]:
        data = summary(Filters())
        # As ``manage.py stats --json`` prints it.
        return data, json.dumps(data, ensure_ascii=False, indent=2)

    with CaptureQueriesContext(connection) as queries:
        stats_json()
    json_seconds, (data, _) = best_of(runs, stats_json)

    expected = {
        code: by_gender.get(code, {"participants": 0, "participations": 0})
        for code in data["by_gender"]
    }
    if (
        set(by_gender) - set(data["by_gender"])
        or {code: dict(figures) for code, figures in data["by_gender"].items()} != expected
    ):
        raise SystemExit(
            f"summary()['by_gender'] disagrees with the SQL GROUP BY:\n"
            f"  summary: {data['by_gender']}\n  SQL:     {by_gender}"
        )
    emit("stats_participations", data["participations"], "rows")
    emit("stats_json_seconds", seconds(json_seconds), "s")
    emit("stats_json_queries", len(queries), "queries")
    emit("stats_gender_sql_seconds", seconds(sql_seconds), "s")
    emit("stats_json_ratio", ratio(json_seconds, sql_seconds), "x")
    emit("stats_gender_agrees", 1, "bool")


# --- the run -----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000, help="enrolments to generate")
    parser.add_argument("--roster-rows", type=int, default=10_000, help="rows in the roster")
    parser.add_argument(
        "--runs", type=int, default=3, help="runs of each measurement; the best one counts"
    )
    parser.add_argument(
        "--out", type=Path, default=ROOT / "bench" / "out", help="where the files go"
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the database and the roster afterwards"
    )
    args = parser.parse_args(argv)
    if args.size < 100 or args.roster_rows < 1 or args.runs < 1:
        parser.error("--size must be at least 100, --roster-rows and --runs at least 1")
    args.out.mkdir(parents=True, exist_ok=True)

    vendor, drop = open_database(args.out, args.keep)
    try:
        setup_django()
        print(f"database: {vendor}", flush=True)
        note(f"generating {args.size} enrolments")
        start = time.perf_counter()
        world = generate(args.size)
        generate_seconds = time.perf_counter() - start
        emit("participations", world.enrolments, "rows")
        emit("participants", len(world.participants), "rows")
        emit("sessions", world.sessions, "rows")
        emit("attendance", world.attendance, "rows")
        emit("certificates", world.certificates, "rows")
        emit("roster_rows", args.roster_rows, "rows")
        emit("generate_seconds", seconds(generate_seconds), "s")

        note("statistics")
        measure_stats(args.runs)

        note(f"writing a roster of {args.roster_rows} rows")
        roster = write_roster(world, args.roster_rows, args.out)
        measure_roster(roster, args.runs)
        if not args.keep:
            roster.path.unlink(missing_ok=True)
    finally:
        drop()


if __name__ == "__main__":
    main()
