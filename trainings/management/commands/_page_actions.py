"""What the commands that repeat the organisers' page actions share: finding records, errors.

A module whose name starts with an underscore is not a command (Django skips it).
"""

import datetime as dt

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.management.base import CommandError

from participants.models import Participant
from trainings.importing import CellError, parse_date
from trainings.models import Enrolment, Session
from trainings.selectors import CodeLookup

NOTHING_CHANGED = "; nothing changed"


def session_named(code: str, *, related: tuple[str, ...] = ()) -> Session:
    """Return the session with this code (any letter case), or stop with an error naming it."""
    code = code.strip()
    lookup = CodeLookup(Session.objects.select_related(*related), [code])
    session = lookup.get(code)
    if session is None:
        raise CommandError(
            lookup.problem(code, "session", f"there is no session with the code '{code}'")
            + NOTHING_CHANGED,
            returncode=1,
        )
    return session


def participant_numbered(value: str) -> Participant:
    """Return the participant with this id, or stop with an error naming it."""
    text = value.strip().lstrip("#")
    if not text.isdigit():
        raise CommandError(
            f"'{value}' is not a participant id: give the number the participant list shows"
            + NOTHING_CHANGED,
            returncode=1,
        )
    participant = Participant.objects.filter(pk=int(text)).first()
    if participant is None:
        raise CommandError(f"no participant has the id {text}{NOTHING_CHANGED}", returncode=1)
    return participant


def date_given(value: str, option: str) -> dt.date:
    """Read a date written YYYY-MM-DD or DD.MM.YYYY, as the imports read them."""
    try:
        return parse_date(value)
    except CellError as exc:
        raise CommandError(f"{option}: {exc}{NOTHING_CHANGED}", returncode=1) from exc


def refusal(error: ValidationError) -> CommandError:
    """Turn a service's ValidationError into a CommandError with all its messages."""
    if hasattr(error, "error_dict"):
        parts = [
            message if field == NON_FIELD_ERRORS else f"{field}: {message}"
            for field, messages in error.message_dict.items()
            for message in messages
        ]
    else:
        parts = list(error.messages)
    text = "; ".join(part.rstrip(".") for part in parts)
    return CommandError(text + NOTHING_CHANGED, returncode=1)


def who(participant: Participant) -> str:
    """Name a participant in a command's output: id and full name."""
    return f"#{participant.pk} {participant.full_name}"


def counted(session: Session) -> int:
    """Return how many of the session's enrolments hold a seat (and count in the figures)."""
    return session.enrolments.filter(status__in=Enrolment.COUNTED).count()
