"""``manage.py issue_certificates --session CODE [--out DIR] [--combined FILE] [--dry-run]``."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from certificates.models import Certificate
from certificates.rendering import certificate_pdfs, certificates_pdf, file_name
from certificates.selectors import issue_plan
from certificates.services import CertificateError, certificates_issue
from trainings.models import Session
from trainings.selectors import CodeLookup


class Command(BaseCommand):
    help = (
        "Issue a certificate to every eligible enrolment of a session that has none, and with "
        "--out write one PDF per valid certificate of the session (new and already issued)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--session", required=True, metavar="CODE", help="the session code")
        parser.add_argument(
            "--out",
            metavar="DIR",
            help="write <number>.pdf for every valid certificate of the session into DIR",
        )
        parser.add_argument(
            "--combined",
            metavar="FILE",
            help="write every valid certificate of the session into one PDF, for printing",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="report what would be issued, write nothing"
        )

    def handle(
        self,
        *args: Any,
        session: str,
        out: str | None,
        combined: str | None,
        dry_run: bool,
        **options: Any,
    ) -> None:
        code = session.strip()
        lookup = CodeLookup(Session.objects.select_related("course"), [code])
        found = lookup.get(code)
        if found is None:
            raise CommandError(
                lookup.problem(code, "session", f"there is no session with the code '{code}'"),
                returncode=1,
            )
        if dry_run:
            if out or combined:
                raise CommandError(
                    "--dry-run writes no files: leave out --out and --combined", returncode=1
                )
            plan = issue_plan(found)
            self.stdout.write(
                f"dry run, nothing written: would issue {len(plan.to_issue)}, "
                f"already issued {plan.already_issued}, not eligible {plan.not_eligible}"
            )
            return
        try:
            report = certificates_issue(session=found, actor="manage.py issue_certificates")
        except CertificateError as exc:
            raise CommandError(str(exc), returncode=1) from exc
        if out:
            self.write_pdfs(found, Path(out), verbosity=options["verbosity"])
        if combined:
            self.write_combined(found, Path(combined))
        self.stdout.write(report.summary_line())

    def write_combined(self, session: Session, path: Path) -> None:
        """Write the session's valid certificates as one PDF, one page each."""
        certificates = Certificate.objects.filter(
            enrolment__session=session, revoked=False
        ).order_by("sequence")
        if not certificates.exists():
            self.stderr.write(f"no valid certificates to print: {path} was not written")
            return
        try:
            path.write_bytes(certificates_pdf(certificates))
        except OSError as exc:
            raise CommandError(
                f"cannot write {path}: {exc.strerror}; the certificates were issued: "
                "run again with a writable --combined path",
                returncode=1,
            ) from exc

    def write_pdfs(self, session: Session, directory: Path, *, verbosity: int) -> None:
        """Write one PDF per valid certificate of the session into the directory."""
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CommandError(
                f"cannot create {directory}: {exc.strerror}; the certificates were issued: "
                "run again with a writable --out to write their PDFs",
                returncode=1,
            ) from exc
        certificates = Certificate.objects.filter(
            enrolment__session=session, revoked=False
        ).order_by("sequence")
        if not certificates.exists():
            return
        for certificate, pdf in certificate_pdfs(certificates):
            # The ZIP of a session names its files the same way: <number>.pdf, made file-safe.
            path = directory / file_name(certificate)
            path.write_bytes(pdf)
            if verbosity >= 2:
                self.stderr.write(f"wrote {path}")
