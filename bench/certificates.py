"""Measure certificate PDFs: a batch as one document, one render call each, and bare WeasyPrint.

    python bench/certificates.py [--count 200] [--each N] [--bare N] [--out DIR] [--keep]

The benchmark builds its own SQLite database, ``certificates.sqlite3`` in ``--out`` (default
``bench/out/``), whatever DATABASE_URL says: what it measures is layout and PDF writing, which
do not depend on the database. It creates one Kyrgyz-language session with a design of two
signatories and ``--count`` eligible enrolments with a certificate each, then prints one line per
figure, ``name: value unit``, on standard output; progress goes to standard error.

Per certificate, in seconds:
- ``certificate_batch_seconds``: all ``--count`` certificates as one document (``certificates_pdf``:
  queries, context, template, layout, PDF), the combined PDF organisers print;
- ``certificate_split_seconds``: ``--each`` certificates laid out as one document and written
  page by page (``certificate_pdfs``, what the ZIP and ``issue_certificates --out`` use);
- ``certificate_each_seconds``: the same ``--each`` certificates, one ``certificate_pdf`` call each;
- ``certificate_bare_seconds``: the HTML of the first ``--bare`` certificates of the batch,
  rendered beforehand by the same template, laid out and written by
  ``weasyprint.HTML(string=...).write_pdf()`` alone, the stylesheet read from disk by
  WeasyPrint's own fetcher.
``--each`` and ``--bare`` default to the whole batch; smaller samples give a quicker run (layout
costs the same for every page).
The ratios divide Bilim's batch by the bare render, and one call each by the split batch, per
certificate.
"""

import argparse
import datetime as dt
import os
import random
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from imports_and_stats import ROOT, emit, note, ratio, seconds, sqlite_database  # noqa: E402

SEED = 20251001
LAST_NAMES = [
    "Өмүрбекова",
    "Жеңишбеков",
    "Абдыкадырова",
    "Сыдыков",
    "Токтогулова",
    "Үсөнбаев",
    "Асанова",
    "Бакиров",
    "Шаршеналиева",
    "Эшмаматов",
]
FIRST_NAMES = ["Айгүл", "Бакыт", "Гүлнара", "Нурлан", "Жылдыз", "Мирлан", "Айпери", "Эрмек"]
MIDDLE_NAMES = ["Жеңишбековна", "Өмүрбекович", "Сүйүнбаевна", "Төлөгөнович", ""]


def open_database(out: Path, keep: bool):
    """Point Django at a fresh SQLite file of the benchmark's own; return a clean-up."""
    return sqlite_database(out / "certificates.sqlite3", keep)


def setup_django() -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.local"
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.DEBUG = False  # DEBUG keeps the SQL of every query: a cost production does not pay
    call_command("migrate", verbosity=0, interactive=False)


def generate(count: int) -> list:
    """Create one session with ``count`` eligible enrolments and a certificate each."""
    from django.db import transaction

    from certificates.models import Certificate, CertificateDesign, Signatory
    from participants.models import Agency, AgencyType, Gender, Participant, Region
    from participants.normalize import fold
    from trainings.models import Attendance, Course, Enrolment, Session, TrainingDay

    rng = random.Random(SEED)
    with transaction.atomic():
        design = CertificateDesign.objects.create(
            name="Bench",
            issuer="Office of the Ombudsman of the Kyrgyz Republic",
            issuer_ky="Кыргыз Республикасынын Акыйкатчысынын (Омбудсменинин) аппараты",
            is_default=True,
        )
        Signatory.objects.bulk_create(
            [
                Signatory(design=design, name="Жылдыз Асанова", title="Окуу бөлүмүнүн башчысы"),
                Signatory(design=design, name="Марат Токтогулов", title="Башкы тренер", order=1),
            ]
        )
        course = Course.objects.create(
            code="HR-TORT",
            title="Кыйноолордун алдын алуу боюнча эл аралык стандарттар",
            thematic_area="Human rights",
        )
        session = Session(
            code="UPR-BENCH",
            course=course,
            start_date=dt.date(2025, 3, 10),
            end_date=dt.date(2025, 3, 12),
            region=Region.objects.get(name_key=fold("Issyk-Kul")),
            venue="Чолпон-Ата, «Карвен» эс алуу борбору",
            status=Session.Status.COMPLETED,
            max_score=100,
            pass_mark=course.pass_mark,
            min_attendance=course.min_attendance,
            training_hours=24,
            certificate_language="ky",
            certificate_design=design,
        )
        session.save()
        days = TrainingDay.objects.bulk_create(
            TrainingDay(session=session, date=session.start_date + dt.timedelta(days=i))
            for i in range(3)
        )
        agency = Agency.objects.create(
            name="Ички иштер министрлиги", type=AgencyType.objects.order_by("pk").first()
        )
        gender = Gender.objects.get(code="female")
        participants = []
        for i in range(count):
            participant = Participant(
                last_name=rng.choice(LAST_NAMES),
                first_name=rng.choice(FIRST_NAMES),
                middle_name=rng.choice(MIDDLE_NAMES),
                gender=gender,
                agency=agency,
                birth_year=1970 + i % 30,
                email=f"bench{i}@example.org",
            )
            participant.refresh_keys()
            participants.append(participant)
        participants = Participant.objects.bulk_create(participants)
        enrolments = Enrolment.objects.bulk_create(
            Enrolment(session=session, participant=p, status=Enrolment.Status.CONFIRMED)
            for p in participants
        )
        Attendance.objects.bulk_create(
            Attendance(enrolment=e, day=d, present=True) for e in enrolments for d in days
        )
        alphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
        return Certificate.objects.bulk_create(
            Certificate(
                enrolment=e,
                number=f"{session.code}-{i:03d}",
                sequence=i,
                code="".join(rng.choice(alphabet) for _ in range(16)),
                issued_on=dt.date(2025, 3, 14),
            )
            for i, e in enumerate(enrolments, start=1)
        )


def bare_html(certificates: list) -> str:
    """Render the batch's HTML with Bilim's template, its resources as file: URLs on disk."""
    from django.conf import settings
    from django.template.loader import render_to_string

    from certificates.rendering import TEMPLATE, batch_context, load

    html = render_to_string(TEMPLATE, batch_context(load(certificates)))
    static = (ROOT / "static").as_uri() + "/"
    media = Path(settings.MEDIA_ROOT).as_uri() + "/"
    prefix_static = "/" + settings.STATIC_URL.strip("/") + "/"
    prefix_media = "/" + settings.MEDIA_URL.strip("/") + "/"
    for attribute in ("href", "src"):
        html = html.replace(f'{attribute}="{prefix_static}', f'{attribute}="{static}')
        html = html.replace(f'{attribute}="{prefix_media}', f'{attribute}="{media}')
    return html


def timed(work) -> tuple[float, object]:
    start = time.perf_counter()
    result = work()
    return time.perf_counter() - start, result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200, help="certificates in the batch")
    parser.add_argument(
        "--each",
        type=int,
        default=None,
        help="certificates rendered one call each and split (default: the whole batch)",
    )
    parser.add_argument(
        "--bare",
        type=int,
        default=None,
        help="certificates rendered by WeasyPrint alone (default: the whole batch)",
    )
    parser.add_argument("--out", type=Path, default=HERE / "out", help="where the database goes")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args(argv)
    args.each = args.count if args.each is None else args.each
    args.bare = args.count if args.bare is None else args.bare
    if args.count < 1 or not (1 <= args.each <= args.count and 1 <= args.bare <= args.count):
        parser.error("--count must be at least 1, --each and --bare between 1 and --count")
    args.out.mkdir(parents=True, exist_ok=True)

    drop = open_database(args.out, args.keep)
    try:
        setup_django()
        import io

        import weasyprint
        from pypdf import PdfReader

        from certificates.rendering import certificate_pdf, certificate_pdfs, certificates_pdf

        print("database: sqlite", flush=True)
        note(f"generating {args.count} certificates")
        certificates = generate(args.count)
        sample = certificates[: args.each]
        emit("certificates", len(certificates), "rows")

        note(f"rendering {args.count} certificates as one document")
        batch, content = timed(lambda: certificates_pdf(certificates))
        pages = len(PdfReader(io.BytesIO(content)).pages)
        emit("certificate_batch_pages", pages, "pages")
        emit("certificate_batch_seconds", seconds(batch / args.count), "s")

        note(f"rendering {args.each} certificates as one document, written page by page")
        split, files = timed(lambda: certificate_pdfs(sample))
        emit("certificate_split_seconds", seconds(split / args.each), "s")

        note(f"rendering {args.each} certificates one call each")
        each, _ = timed(lambda: [certificate_pdf(c) for c in sample])
        emit("certificate_each_seconds", seconds(each / args.each), "s")
        emit("certificate_each_ratio", ratio(each, split), "x")

        note(f"rendering the first {args.bare} of those pages with WeasyPrint alone")
        html = bare_html(certificates[: args.bare])
        bare, bare_content = timed(lambda: weasyprint.HTML(string=html).write_pdf())
        assert len(PdfReader(io.BytesIO(bare_content)).pages) == args.bare
        assert pages == len(certificates) and len(files) == args.each
        emit("certificate_bare_seconds", seconds(bare / args.bare), "s")
        emit("certificate_batch_ratio", ratio(batch / args.count, bare / args.bare), "x")
    finally:
        drop()


if __name__ == "__main__":
    main()
