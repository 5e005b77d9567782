"""Backups: the whole database and the uploaded files in one archive, and restoring it.

The archive is a gzipped tar holding

- ``manifest.json``: format version, Bilim version, when, the database vendor it came from, the
  applied migrations of every app, the rows of every model saved and the sha256 and size of
  every other member;
- ``data.jsonl``: Django's ``dumpdata`` in JSON lines (datetimes to the microsecond, see
  ``jobs.backup_format``), natural keys for references to users,
  groups, permissions and content types (so it does not depend on their ids in the target),
  primary keys kept everywhere else; written inside one read-only transaction that sees one
  snapshot (PostgreSQL: REPEATABLE READ; SQLite: one read transaction), so the data agree with
  each other while people keep working;
- ``media/...``: the uploaded files (certificate logos and signatures, signed sign-in sheets).

Left out, because a fresh installation makes them or they are only passing work: content types
and permissions (``migrate`` makes them), sign-in sessions (people sign in again), the background
jobs and the task queue with their result files (``media/jobs/``), and uploads waiting for their
owner's confirmation (``media/imports/``).

Restoring needs an empty installation (migrated; only the reference lists and role groups that
``migrate`` seeds): it checks every checksum and the migrations before writing anything, then
replaces the seeded rows and loads everything in one transaction, checks the row counts, and only
then puts the files in place.
"""

import datetime as dt
import gzip
import hashlib
import io
import json
import os
import shutil
import tarfile
import tempfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path, PurePosixPath

from django.apps import apps
from django.conf import settings
from django.core import serializers
from django.core.management import call_command
from django.core.serializers.base import DeserializationError
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.db.models import Model
from django.utils import timezone

from jobs import backup_format

FORMAT = "bilim-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DATA = "data.jsonl"
MEDIA = "media"

# Models a fresh installation makes itself, or that only hold passing work.
EXCLUDED = (
    "contenttypes",
    "auth.permission",
    "sessions",
    "django_tasks_db",
    "jobs",
)
# Top-level folders of MEDIA_ROOT that hold passing work (see EXCLUDED).
MEDIA_EXCLUDED = ("imports", "jobs")
# Rows that ``migrate`` seeds into an empty installation; a restore replaces them.
SEEDED = ("participants.gender", "participants.agencytype", "participants.region", "auth.group")
CHUNK = 1 << 20


class BackupError(Exception):
    """A backup cannot be written or restored; the message says why and what to do."""


@dataclass
class BackupReport:
    """What a backup or a restore wrote."""

    path: Path
    size: int
    rows: dict[str, int]
    files: int
    missing_files: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """Return the lines the commands print."""
        total = sum(self.rows.values())
        lines = [
            f"{self.path} ({self.size:,} bytes)",
            f"{total:,} rows in {len(self.rows)} tables, {self.files} files",
        ]
        lines += [f"  {label}: {count:,}" for label, count in sorted(self.rows.items()) if count]
        lines += [f"  file named by the data but missing: {name}" for name in self.missing_files]
        return lines


def _models() -> list[type[Model]]:
    """Return the models a backup holds, as dumpdata sees them (no proxies, no M2M tables)."""
    found = []
    for model in apps.get_models():
        meta = model._meta
        if meta.proxy or not meta.managed or meta.auto_created:
            continue
        if meta.app_label in EXCLUDED or meta.label_lower in EXCLUDED:
            continue
        found.append(model)
    return found


def _row_counts(models: Iterable[type[Model]]) -> dict[str, int]:
    return {model._meta.label_lower: model._base_manager.count() for model in models}


def _migrations() -> dict[str, list[str]]:
    """Return the applied migrations of every app, by app label."""
    applied: dict[str, list[str]] = {}
    for app, name in sorted(MigrationRecorder(connections[DEFAULT_DB_ALIAS]).applied_migrations()):
        applied.setdefault(app, []).append(name)
    return applied


def _bilim_version() -> str:
    try:
        return metadata.version("bilim")
    except metadata.PackageNotFoundError:
        return "unknown"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _media_files(root: Path) -> list[Path]:
    """Return the uploaded files to keep, relative to MEDIA_ROOT, in a stable order."""
    if not root.is_dir():
        return []
    found = []
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if relative.parts[0] in MEDIA_EXCLUDED or not path.is_file() or path.is_symlink():
            continue
        found.append(relative)
    return found


def _files_named_by_data() -> set[str]:
    """Return the MEDIA_ROOT names that the file fields of the saved models hold."""
    names: set[str] = set()
    for model in _models():
        for model_field in model._meta.concrete_fields:
            if model_field.get_internal_type() not in ("FileField", "ImageField"):
                continue
            values = model._base_manager.exclude(**{model_field.attname: ""}).values_list(
                model_field.attname, flat=True
            )
            names.update(value for value in values if value)
    return names


def _snapshot_start() -> None:
    """Make the current transaction one consistent, read-only snapshot of the database."""
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
    elif connection.vendor == "sqlite":
        # BEGIN (deferred) was issued by atomic(); the first read takes the snapshot, which is
        # held until the end of the transaction.
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM sqlite_master")


def backup_path_default(now: dt.datetime | None = None) -> Path:
    """Return backups/bilim-YYYYmmdd-HHMMSS.tar.gz under the project folder (local time)."""
    stamp = timezone.localtime(now or timezone.now()).strftime("%Y%m%d-%H%M%S")
    return Path(settings.BASE_DIR) / "backups" / f"bilim-{stamp}.tar.gz"


def backup_write(*, out: Path | None = None) -> BackupReport:
    """Write the database and the uploaded files to one archive; return what it holds.

    The archive is written to a temporary name next to ``out`` and renamed when complete, so a
    failed backup leaves no half archive; it is readable by its owner only (it holds password
    hashes and two-factor keys).
    """
    out = Path(out or backup_path_default())
    out.parent.mkdir(parents=True, exist_ok=True)
    connection = connections[DEFAULT_DB_ALIAS]
    models = _models()
    media_root = Path(settings.MEDIA_ROOT)
    with tempfile.TemporaryDirectory(prefix="bilim-backup-") as work:
        data = Path(work) / DATA
        if connection.in_atomic_block:
            raise BackupError("a backup cannot run inside another transaction")
        # Connect first: the snapshot's SET TRANSACTION must be the transaction's first statement.
        connection.ensure_connection()
        with transaction.atomic(using=DEFAULT_DB_ALIAS):
            _snapshot_start()
            rows = _row_counts(models)
            migrations = _migrations()
            named = _files_named_by_data()
            serializers.register_serializer(backup_format.NAME, "jobs.backup_format")
            call_command(
                "dumpdata",
                *(model._meta.label for model in models),
                format=backup_format.NAME,
                natural_foreign=True,
                use_base_manager=True,
                output=str(data),
                verbosity=0,
            )
        media = _media_files(media_root)
        members = {DATA: data} | {
            str(PurePosixPath(MEDIA, *relative.parts)): media_root / relative for relative in media
        }
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "bilim_version": _bilim_version(),
            "created_at": timezone.now().isoformat(),
            "database_vendor": connection.vendor,
            "migrations": migrations,
            "rows": rows,
            "members": {
                name: {"sha256": _sha256(path), "size": path.stat().st_size}
                for name, path in members.items()
            },
        }
        partial = out.with_name(f".{out.name}.partial")
        try:
            with tarfile.open(partial, "w:gz") as archive:
                body = json.dumps(manifest, indent=2, ensure_ascii=False).encode()
                info = tarfile.TarInfo(MANIFEST)
                info.size, info.mtime, info.mode = len(body), int(timezone.now().timestamp()), 0o600
                archive.addfile(info, io.BytesIO(body))
                for name, path in members.items():
                    archive.add(path, arcname=name, recursive=False)
            os.chmod(partial, 0o600)
            partial.replace(out)
        finally:
            partial.unlink(missing_ok=True)
    present = {relative.as_posix() for relative in media}
    return BackupReport(
        path=out,
        size=out.stat().st_size,
        rows=rows,
        files=len(media),
        missing_files=sorted(named - present),
    )


# --- restore -------------------------------------------------------------------------------------


def _damaged(path: Path, why: str) -> BackupError:
    return BackupError(
        f"{path} is not a readable Bilim backup ({why}); nothing was restored. "
        "Take another copy of the backup, or an older one"
    )


def _safe_name(name: str) -> bool:
    """Say whether an archive member's name stays inside the restore folder."""
    pure = PurePosixPath(name)
    return bool(name) and not pure.is_absolute() and ".." not in pure.parts


def _unpack(path: Path, into: Path) -> dict:
    """Extract the archive into a folder, checking every member; return the manifest."""
    manifest = None
    seen: dict[str, tuple[str, int]] = {}
    try:
        with tarfile.open(path, "r:gz") as archive:
            for member in archive:
                if not member.isfile() or not _safe_name(member.name):
                    raise _damaged(path, f"unexpected member {member.name!r}")
                source = archive.extractfile(member)
                if member.name == MANIFEST:
                    manifest = json.loads(source.read().decode())
                    continue
                target = into / member.name
                target.parent.mkdir(parents=True, exist_ok=True)
                digest, size = hashlib.sha256(), 0
                with target.open("wb") as f:
                    while chunk := source.read(CHUNK):
                        digest.update(chunk)
                        size += len(chunk)
                        f.write(chunk)
                seen[member.name] = (digest.hexdigest(), size)
    except BackupError:
        raise
    except FileNotFoundError as exc:
        raise BackupError(f"{path} does not exist") from exc
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile, OSError) as exc:
        raise _damaged(path, f"damaged or truncated: {exc}") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _damaged(path, "its manifest is not valid JSON") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise _damaged(path, "no Bilim manifest")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"{path} is in backup format {manifest.get('format_version')}; this Bilim reads "
            f"format {FORMAT_VERSION}: restore it with the Bilim version that wrote it "
            f"({manifest.get('bilim_version')})"
        )
    expected = {
        name: (entry["sha256"], entry["size"]) for name, entry in manifest["members"].items()
    }
    if set(seen) != set(expected) or DATA not in seen:
        missing = sorted(set(expected) - set(seen)) or sorted(set(seen) - set(expected))
        raise _damaged(path, f"its members do not match the manifest: {', '.join(missing[:5])}")
    changed = sorted(name for name in expected if seen[name] != expected[name])
    if changed:
        raise _damaged(path, f"checksum mismatch in {', '.join(changed[:5])}")
    return manifest


def _migrations_check(manifest: dict) -> None:
    """Refuse a backup made with migrations this installation has not applied."""
    here = _migrations()
    newer = sorted(
        f"{app}.{name}"
        for app, names in manifest["migrations"].items()
        for name in names
        if name not in set(here.get(app, []))
    )
    if newer:
        raise BackupError(
            f"the backup was made by a newer Bilim ({manifest.get('bilim_version')}) with "
            f"migrations this installation lacks: {', '.join(newer[:5])}. Upgrade Bilim and run "
            "'manage.py migrate' first, then restore"
        )


def _emptiness_check(models: list[type[Model]], media_root: Path, media: list[str]) -> None:
    holding = sorted(
        f"{model._meta.label_lower} ({count})"
        for model in models
        if model._meta.label_lower not in SEEDED and (count := model._base_manager.count())
    )
    if holding:
        raise BackupError(
            "the database is not empty: "
            + ", ".join(holding[:6])
            + (" …" if len(holding) > 6 else "")
            + ". Restore into a new installation (an empty database after 'manage.py migrate'); "
            "nothing was restored"
        )
    clashes = [name for name in media if (media_root / name).exists()]
    if clashes:
        raise BackupError(
            f"MEDIA_ROOT ({media_root}) already holds {clashes[0]}: restore into an empty "
            "MEDIA_ROOT; nothing was restored"
        )


def backup_restore(*, path: Path) -> BackupReport:
    """Load an archive into an empty installation: rows in one transaction, then the files.

    Raises BackupError, before writing anything, for a damaged archive, a backup from newer
    migrations or a database that already holds data.
    """
    path = Path(path)
    connection = connections[DEFAULT_DB_ALIAS]
    models = _models()
    media_root = Path(settings.MEDIA_ROOT)
    with tempfile.TemporaryDirectory(prefix="bilim-restore-") as work:
        staging = Path(work)
        manifest = _unpack(path, staging)
        _migrations_check(manifest)
        prefix = f"{MEDIA}/"
        media = [name[len(prefix) :] for name in manifest["members"] if name.startswith(prefix)]
        with transaction.atomic(using=DEFAULT_DB_ALIAS):
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            _emptiness_check(models, media_root, media)
            for label in SEEDED:
                apps.get_model(label)._base_manager.all().delete()
            try:
                call_command("loaddata", str(staging / DATA), verbosity=0)
            except (DatabaseError, DeserializationError, LookupError) as exc:
                raise BackupError(
                    f"the backup's data could not be loaded ({exc}); nothing was restored. "
                    "Restore it with the Bilim version that wrote it "
                    f"({manifest.get('bilim_version')}), then upgrade"
                ) from exc
            rows = _row_counts(models)
            wanted = manifest["rows"]
            differ = sorted(
                label
                for label in set(rows) | set(wanted)
                if rows.get(label, 0) != wanted.get(label, 0)
            )
            if differ:
                raise BackupError(
                    "after loading, the row counts differ from the backup's in "
                    f"{', '.join(differ[:5])}; nothing was restored"
                )
        for name in media:
            target = media_root / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(staging / MEDIA / name, target)
    return BackupReport(path=path, size=path.stat().st_size, rows=rows, files=len(media))
