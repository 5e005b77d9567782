"""manage.py backup and restore: the round trip, and every archive or target that is refused."""

import datetime as dt
import hashlib
import io
import json
import tarfile
import threading
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core import serializers
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django_otp.plugins.otp_totp.models import TOTPDevice

from certificates.models import Certificate, CertificateDesign, Signatory
from certificates.services import certificate_revoke, certificates_issue
from jobs import backup
from jobs.models import Job
from participants.models import Participant
from reports import stats
from reports.models import Programme
from tests.conftest import reference_lists_ensure
from tests.factories import (
    CourseFactory,
    ParticipantFactory,
    SessionFactory,
    UserFactory,
    attend,
    gender,
    region,
)
from trainings import roles
from trainings.grid_services import enrolment_score_save
from trainings.models import Enrolment, TrainingDay
from trainings.services import enrolment_create

pytestmark = pytest.mark.django_db(transaction=True)

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
PDF = b"%PDF-1.4\n" + "Подписи участников".encode() + b"\n%%EOF\n"
CYRILLIC = [
    ("Асанова", "Айгүл", "female"),
    ("Жээнбеков", "Нурлан", "male"),
    ("Өмүрбекова", "Чолпон", "female"),
    ("Ысмайылов", "Бакыт", "male"),
]


@pytest.fixture
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_ROOT.mkdir()
    return settings.MEDIA_ROOT


def installation_with_data(media: Path) -> None:
    """Participants, a session with its days, enrolments, marks, scores, certificates, files."""
    organiser = UserFactory(username="organiser")
    organiser.groups.add(Group.objects.get(name=roles.ORGANISER))
    TOTPDevice.objects.create(user=organiser, name="phone", confirmed=True)
    trainer = UserFactory(username="тренер")
    design = CertificateDesign.objects.create(
        name="Омбудсмен", issuer="Ombudsman", issuer_ky="Акыйкатчы", is_default=True
    )
    design.logo.save("emblem.png", ContentFile(PNG))
    signatory = Signatory.objects.create(design=design, name="Т. Токтосунова", title="Head")
    signatory.signature.save("signature.png", ContentFile(PNG[::-1]))
    session = SessionFactory(course=CourseFactory(assessed=True), min_attendance=60)
    day = TrainingDay.objects.filter(session=session).order_by("date").first()
    day.sign_in_scan.save("day1.pdf", ContentFile(PDF))
    Programme.objects.create(code="EU-1", name="Права человека").sessions.add(session)
    for n, (last, first, sex) in enumerate(CYRILLIC):
        person = ParticipantFactory(
            last_name=last, first_name=first, gender=gender(sex), region=region("Osh")
        )
        enrolment, _ = enrolment_create(session=session, participant=person, actor=organiser)
        attend(enrolment, 3 - n % 2)
        enrolment_score_save(
            enrolment=enrolment, field="post", value=Decimal(70 + n), expected=None, actor=trainer
        )
    report = certificates_issue(session=session, actor=organiser, issued_on=dt.date(2025, 3, 20))
    certificate_revoke(certificate=report.issued[0], reason="опечатка в имени", actor=organiser)
    # Passing work, left out of backups: a job with its result and an upload waiting.
    job = Job.objects.create(kind=Job.Kind.CSV, created_by=organiser)
    job.result.save("export.csv", ContentFile(b"a,b\n"))
    (media / "imports").mkdir()
    (media / "imports" / "waiting.xlsx").write_bytes(b"PK\x03\x04")


def snapshot() -> dict[str, list]:
    """Every row of every model a backup holds, as the serializers see it, by model."""
    return {
        model._meta.label_lower: serializers.serialize(
            "python", model._base_manager.order_by("pk"), use_natural_foreign_keys=True
        )
        for model in backup._models()
    }


def figures() -> tuple:
    everyone = stats.Filters()
    return (
        stats.headline(everyone),
        stats.by_gender(everyone),
        stats.by_region(everyone),
        stats.by_course(everyone),
    )


def files(media: Path) -> dict[str, bytes]:
    return {
        p.relative_to(media).as_posix(): p.read_bytes() for p in media.rglob("*") if p.is_file()
    }


def fresh_installation(media: Path) -> None:
    """Empty the database and MEDIA_ROOT, then seed what 'migrate' seeds."""
    call_command("flush", interactive=False, verbosity=0)
    for path in sorted(media.rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    reference_lists_ensure()


def test_round_trip_gives_back_every_row_every_file_and_the_same_figures(
    reference_lists, media, tmp_path
):
    installation_with_data(media)
    rows_before, figures_before, files_before = snapshot(), figures(), files(media)
    assert len(rows_before["certificates.historicalcertificate"]) == 5  # 4 issued + 1 revoke
    assert len(rows_before["trainings.historicalenrolment"]) >= 8  # enrolled, scored
    out = tmp_path / "copies" / "bilim.tar.gz"

    written = io.StringIO()
    call_command("backup", "--out", str(out), stdout=written)

    assert f"backup written: {out}" in written.getvalue()
    assert "participants.participant: 4" in written.getvalue()
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    with tarfile.open(out) as archive:
        names = set(archive.getnames())
    assert names == {
        "manifest.json",
        "data.jsonl",
        "media/certificates/logos/emblem.png",
        "media/certificates/signatures/signature.png",
        f"media/sign-in-sheets/{dt.date.today().year}/day1.pdf",
    }

    fresh_installation(media)
    assert Participant.objects.count() == 0
    assert files(media) == {}

    restored = io.StringIO()
    call_command("restore", str(out), stdout=restored)

    assert "restored:" in restored.getvalue()
    assert snapshot() == rows_before
    assert figures() == figures_before
    expected_files = {
        name: body
        for name, body in files_before.items()
        if not name.startswith(("jobs/", "imports/"))
    }
    assert files(media) == expected_files
    assert Job.objects.count() == 0
    # The restored audit trail still names who revoked, and new rows get fresh ids.
    revoked = Certificate.history.filter(history_type="~").get()
    assert revoked.history_user.username == "organiser"
    newcomer = ParticipantFactory(last_name="Новый")
    assert newcomer.pk > max(row["pk"] for row in rows_before["participants.participant"])
    # A second restore finds the installation full and refuses.
    with pytest.raises(CommandError, match="not empty"):
        call_command("restore", str(out))


def test_backup_without_out_writes_a_dated_archive_under_backups(
    reference_lists, media, settings, tmp_path
):
    settings.BASE_DIR = tmp_path
    ParticipantFactory(last_name="Асанова")
    written = io.StringIO()

    call_command("backup", stdout=written)

    [made] = (tmp_path / "backups").glob("bilim-*.tar.gz")
    assert len(made.name) == len("bilim-20250320-023000.tar.gz")
    assert f"backup written: {made} ({made.stat().st_size:,} bytes)" in written.getvalue()
    assert "participants.participant: 1" in written.getvalue()
    with tarfile.open(made) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())
    assert manifest["format"] == "bilim-backup"
    assert manifest["database_vendor"] == connection.vendor
    assert manifest["rows"]["participants.participant"] == 1
    assert "0001_initial" in manifest["migrations"]["participants"]


def archive_rewritten(source: Path, target: Path, change) -> Path:
    """Copy an archive member by member; ``change(name, body)`` returns the new body or None."""
    with tarfile.open(source) as old, tarfile.open(target, "w:gz") as new:
        for member in old:
            body = old.extractfile(member).read()
            body = change(member.name, body)
            if body is None:
                continue
            member.size = len(body)
            new.addfile(member, io.BytesIO(body))
    return target


@pytest.fixture
def archive(reference_lists, media, tmp_path) -> Path:
    """A backup of a small installation, then the installation emptied as a new one."""
    installation_with_data(media)
    out = tmp_path / "good.tar.gz"
    backup.backup_write(out=out)
    fresh_installation(media)
    return out


def seeded_state(media: Path) -> tuple:
    counts = {label: len(rows) for label, rows in snapshot().items()}
    return counts, files(media)


def damaged_truncated(good: Path, tmp: Path) -> Path:
    bad = tmp / "truncated.tar.gz"
    bad.write_bytes(good.read_bytes()[: good.stat().st_size * 2 // 3])
    return bad


def damaged_not_gzip(good: Path, tmp: Path) -> Path:
    bad = tmp / "renamed.tar.gz"
    bad.write_bytes(b"PK\x03\x04 this is a zip file, or anything else")
    return bad


def damaged_data_edited(good: Path, tmp: Path) -> Path:
    def edit(name, body):
        return (
            body.replace("Асанова".encode(), "Иванова".encode()) if name == "data.jsonl" else body
        )

    return archive_rewritten(good, tmp / "edited.tar.gz", edit)


def damaged_file_missing(good: Path, tmp: Path) -> Path:
    def drop(name, body):
        return None if name.endswith("emblem.png") else body

    return archive_rewritten(good, tmp / "missing.tar.gz", drop)


def damaged_path_escape(good: Path, tmp: Path) -> Path:
    bad = archive_rewritten(good, tmp / "escape.tar.gz", lambda name, body: body)
    with tarfile.open(bad) as old:
        members = [(m, old.extractfile(m).read()) for m in old]
    with tarfile.open(bad, "w:gz") as new:
        for member, body in members:
            new.addfile(member, io.BytesIO(body))
        evil = tarfile.TarInfo("media/../../outside.txt")
        evil.size = 4
        new.addfile(evil, io.BytesIO(b"evil"))
    return bad


def damaged_no_manifest(good: Path, tmp: Path) -> Path:
    def drop(name, body):
        return None if name == "manifest.json" else body

    return archive_rewritten(good, tmp / "nomanifest.tar.gz", drop)


DAMAGES = [
    (damaged_truncated, "damaged or truncated"),
    (damaged_not_gzip, "damaged or truncated"),
    (damaged_data_edited, "checksum mismatch in data.jsonl"),
    (damaged_file_missing, "do not match the manifest"),
    (damaged_path_escape, "unexpected member"),
    (damaged_no_manifest, "no Bilim manifest"),
]


def test_damaged_archives_are_refused_and_nothing_is_written(archive, media, tmp_path):
    # One installation for the six damages: setting one up is the slow part.
    before = seeded_state(media)
    for damage, message in DAMAGES:
        bad = damage(archive, tmp_path)

        with pytest.raises(CommandError, match=message) as refused:
            call_command("restore", str(bad))

        assert "nothing was restored" in str(refused.value), damage.__name__
        assert seeded_state(media) == before, damage.__name__
        assert not (tmp_path / "outside.txt").exists()
    # The undamaged archive still restores into the same installation.
    call_command("restore", str(archive), stdout=io.StringIO())
    assert Participant.objects.count() == 4


def test_backup_from_newer_migrations_is_refused(archive, media, tmp_path):
    def newer(name, body):
        if name != "manifest.json":
            return body
        manifest = json.loads(body)
        manifest["migrations"]["participants"].append("0999_from_the_future")
        return json.dumps(manifest).encode()

    bad = archive_rewritten(archive, tmp_path / "newer.tar.gz", newer)
    before = seeded_state(media)

    with pytest.raises(CommandError, match=r"participants\.0999_from_the_future"):
        call_command("restore", str(bad))

    assert seeded_state(media) == before


def test_data_this_schema_cannot_hold_is_refused_with_nothing_written(archive, media, tmp_path):
    # As from an older Bilim whose participants had a field that has since been removed.
    edited = {}

    def ghost_field(name, body):
        if name == "data.jsonl":
            lines = body.decode().splitlines()
            last = max(i for i, line in enumerate(lines) if '"participants.participant"' in line)
            row = json.loads(lines[last])
            row["fields"]["nickname"] = "Айка"
            lines[last] = json.dumps(row, ensure_ascii=False)
            edited["data"] = ("\n".join(lines) + "\n").encode()
            return edited["data"]
        if name == "manifest.json":
            return None  # written again below, with the edited member's checksum
        return body

    bad = archive_rewritten(archive, tmp_path / "older.tar.gz", ghost_field)
    with tarfile.open(archive) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())
    manifest["members"]["data.jsonl"] = {
        "sha256": hashlib.sha256(edited["data"]).hexdigest(),
        "size": len(edited["data"]),
    }
    with tarfile.open(bad) as tar:
        members = [(m, tar.extractfile(m).read()) for m in tar]
    with tarfile.open(bad, "w:gz") as tar:
        body = json.dumps(manifest).encode()
        info = tarfile.TarInfo("manifest.json")
        info.size = len(body)
        tar.addfile(info, io.BytesIO(body))
        for member, content in members:
            tar.addfile(member, io.BytesIO(content))
    before = seeded_state(media)

    with pytest.raises(CommandError, match=r"could not be loaded.*nickname"):
        call_command("restore", str(bad))

    assert seeded_state(media) == before


def test_restore_into_a_database_holding_data_is_refused(archive, media):
    ParticipantFactory(last_name="Уже", first_name="Здесь")
    before = seeded_state(media)

    with pytest.raises(CommandError, match=r"not empty: participants.agency \(1\)"):
        call_command("restore", str(archive))

    assert seeded_state(media) == before
    assert list(Participant.objects.values_list("last_name", flat=True)) == ["Уже"]


def test_restore_into_a_media_folder_holding_the_same_file_is_refused(archive, media):
    clash = media / "certificates" / "logos" / "emblem.png"
    clash.parent.mkdir(parents=True)
    clash.write_bytes(b"someone else's logo")

    with pytest.raises(CommandError, match="MEDIA_ROOT"):
        call_command("restore", str(archive))

    assert clash.read_bytes() == b"someone else's logo"
    assert Enrolment.objects.count() == 0


def test_restore_of_a_missing_file_says_so(reference_lists, media, tmp_path):
    with pytest.raises(CommandError, match="does not exist"):
        call_command("restore", str(tmp_path / "nowhere.tar.gz"))


def test_backup_sees_one_snapshot_while_people_keep_working(
    reference_lists, media, tmp_path, monkeypatch
):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite blocks writers during the backup's read; PostgreSQL lets them on")
    installation_with_data(media)
    real = backup._files_named_by_data

    def meanwhile():
        # Someone registers a participant after the counts were taken, before the dump.
        def register():
            try:
                ParticipantFactory(last_name="Позже", first_name="Пришла")
            finally:
                connections.close_all()

        worker = threading.Thread(target=register)
        worker.start()
        worker.join()
        return real()

    monkeypatch.setattr(backup, "_files_named_by_data", meanwhile)
    out = tmp_path / "during.tar.gz"

    report = backup.backup_write(out=out)

    assert Participant.objects.filter(last_name="Позже").exists()  # it was committed
    assert report.rows["participants.participant"] == 4
    with tarfile.open(out) as tar:
        data = tar.extractfile("data.jsonl").read().decode()
    assert "Позже" not in data
    assert data.count('"model": "participants.participant"') == 4
