"""``manage.py registration --session CODE (--open | --close | --show) [--qr FILE.svg]``."""

import io
from pathlib import Path
from typing import Any

import segno
from django.core.management.base import BaseCommand, CommandError, CommandParser, no_translations
from django.utils import timezone

from trainings.management.commands._page_actions import NOTHING_CHANGED, session_named
from trainings.models import Session
from trainings.registration import (
    RegistrationError,
    registration_accepting,
    registration_close,
    registration_open,
)
from trainings.views.registration import registration_link

ACTOR = "manage.py registration"


def qr_svg(link: str) -> bytes:
    """Draw the link as the page's QR code (registration_qr) draws it: an SVG image."""
    buffer = io.BytesIO()
    segno.make(link, error="m").save(
        buffer, kind="svg", scale=8, border=4, dark="#1d1d1b", light="#ffffff"
    )
    return buffer.getvalue()


def why_not_accepting(session: Session) -> str:
    """Say why a session whose registration is switched on takes no registrations."""
    if session.status in (Session.Status.CANCELLED, Session.Status.COMPLETED):
        return f"the session is {session.status}"
    return f"the session ended on {session.end_date.isoformat()}"


class Command(BaseCommand):
    help = (
        "Open or close a session's public registration, or show its state, as the session's "
        "Public registration page does; print the link to share, and with --qr write its QR "
        "code as an SVG image. Cancelled, completed and past sessions cannot be opened."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--session", required=True, metavar="CODE", help="the session code")
        action = parser.add_mutually_exclusive_group(required=True)
        action.add_argument(
            "--open",
            dest="action",
            action="store_const",
            const="open",
            help="open registration (the link stays the same when it was opened before)",
        )
        action.add_argument(
            "--close",
            dest="action",
            action="store_const",
            const="close",
            help="close registration; the link then shows that registration is closed",
        )
        action.add_argument(
            "--show",
            dest="action",
            action="store_const",
            const="show",
            help="change nothing; say whether registration is open and print the link",
        )
        parser.add_argument(
            "--qr", metavar="FILE.svg", help="also write the link's QR code to this SVG file"
        )

    @no_translations
    def handle(self, *args: Any, session: str, action: str, qr: str | None, **options: Any) -> None:
        found = session_named(session)
        qr_path = self.qr_path(qr) if qr else None
        if qr_path is not None and action != "open" and not found.registration_token:
            raise CommandError(
                f"registration for {found.code} was never opened, so there is no link to draw "
                f"in {qr_path}: open it with --open{NOTHING_CHANGED}",
                returncode=1,
            )
        if action == "open":
            try:
                registration_open(session=found, actor=ACTOR)
            except RegistrationError as exc:
                raise CommandError(
                    f"{str(exc).rstrip('.')}{NOTHING_CHANGED}", returncode=1
                ) from exc
        elif action == "close":
            registration_close(session=found, actor=ACTOR)
        line = self.state_line(found)
        if qr_path is not None:
            try:
                qr_path.write_bytes(qr_svg(registration_link(found)))
            except OSError as exc:
                done = {"open": "; registration was opened", "close": "; registration was closed"}
                raise CommandError(
                    f"cannot write {qr_path}: {exc.strerror}{done.get(action, '')}", returncode=1
                ) from exc
            line += f" (QR code written to {qr_path})"
        self.stdout.write(line)

    @staticmethod
    def qr_path(value: str) -> Path:
        """Check, before anything changes, that the QR code can go where --qr says."""
        path = Path(value)
        if path.suffix.lower() != ".svg":
            raise CommandError(
                f"--qr writes an SVG image: give a file name ending in .svg, not '{value}'"
                + NOTHING_CHANGED,
                returncode=1,
            )
        if not path.parent.is_dir():
            raise CommandError(f"{path.parent}: no such folder{NOTHING_CHANGED}", returncode=1)
        return path

    @staticmethod
    def state_line(session: Session) -> str:
        """Say whether the public form takes registrations, and where it is."""
        if not session.registration_token:
            return f"registration for {session.code} has not been opened: there is no link yet"
        link = registration_link(session)
        if registration_accepting(session, today=timezone.localdate()):
            return f"registration for {session.code} is open: {link}"
        if session.registration_open:
            return (
                f"registration for {session.code} is switched on but takes nobody, because "
                f"{why_not_accepting(session)}: {link}"
            )
        return f"registration for {session.code} is closed (the link says so): {link}"
