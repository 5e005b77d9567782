"""Reads of trainings records shared by the imports, the admin and (later) the pages."""

from collections.abc import Iterable
from typing import Generic, TypeVar

from django.db.models import Model, QuerySet

from participants.matching import chunked
from participants.normalize import fold

M = TypeVar("M", bound=Model)


class CodeLookup(Generic[M]):
    """Records named by their code: as typed, else case-insensitively in every alphabet.

    Codes are stored as given and compared exactly by the database; a file that writes
    ``upr-01`` for ``UPR-01`` still means that session, unless two codes differ only by case.
    Costs one query, and two more only when some code is not found as typed.
    """

    def __init__(self, queryset: QuerySet[M], codes: Iterable[str]) -> None:
        wanted = {code for code in codes if code}
        self.exact: dict[str, M] = {}
        for chunk in chunked(sorted(wanted)):
            for record in queryset.filter(code__in=chunk):
                self.exact[record.code] = record
        missing = {fold(code) for code in wanted if code not in self.exact}
        self.folded: dict[str, list[M]] = {}
        if missing:
            # No folded code column is stored: compare in Python over the code column alone.
            ids = [
                pk
                for pk, code in queryset.model._default_manager.values_list("pk", "code")
                if fold(code) in missing
            ]
            for record in queryset.filter(pk__in=ids).order_by("code"):
                self.folded.setdefault(fold(record.code), []).append(record)

    def __contains__(self, code: str) -> bool:
        return self.get(code) is not None

    def records(self) -> list[M]:
        """Every stored record some code named unambiguously."""
        return list(self.exact.values()) + [rs[0] for rs in self.folded.values() if len(rs) == 1]

    def get(self, code: str) -> M | None:
        """Return the one record with this code, or None (see ``problem`` for why)."""
        if code in self.exact:
            return self.exact[code]
        found = self.folded.get(fold(code), [])
        return found[0] if len(found) == 1 else None

    def problem(self, code: str, what: str, missing: str) -> str:
        """Say why ``code`` names no single record: ambiguous, or ``missing`` when absent."""
        found = self.folded.get(fold(code), [])
        if len(found) > 1:
            return (
                f"'{code}' could be {what} {' or '.join(r.code for r in found)}: "
                "write the code exactly as recorded"
            )
        return missing
