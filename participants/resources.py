"""The roster: one row per participant per session, imported all or nothing (automation.md).

Planning reads everything a file may refer to in a fixed number of queries (sessions, reference
lists, agencies by name key, people by email or name key, their enrolments, the seats taken),
then decides every row in memory; applying writes in bulk. So the number of queries does not
grow with the rows.
"""

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Count, QuerySet
from django.utils import timezone
from import_export.fields import Field
from import_export.results import RowResult

from participants.matching import PersonIndex, Probe, chunked
from participants.models import Agency, AgencyType, Gender, Participant, Region
from participants.normalize import email_key, fold
from participants.services import (
    agency_field_errors,
    validate_birth_year,
)
from trainings.audit import CREATED, history_record, import_actor
from trainings.bulk import bulk_insert
from trainings.importing import (
    BilimResource,
    CellError,
    ImportResult,
    Problems,
    Row,
    parse_disability,
    parse_email,
    parse_gender,
    parse_int,
)
from trainings.models import Enrolment, Session
from trainings.selectors import CodeLookup

# What the import reads and may change of a person; loaded with the people the file names so
# that comparing never touches a deferred field.
PERSON_FIELDS = (
    "id",
    "last_name",
    "first_name",
    "middle_name",
    "name_key",
    "gender",
    "birth_year",
    "agency",
    "position",
    "region",
    "email",
    "email_key",
    "phone",
    "disability",
)
ROW_FIELDS = frozenset(PERSON_FIELDS) - {"id", "name_key", "email_key"}
TRACKED = tuple(sorted((name, Participant._meta.get_field(name).attname) for name in ROW_FIELDS))
NAME_FIELDS = ("last_name", "first_name", "middle_name")
REQUIRED = {
    "session": "required: write the session code",
    "last_name": "required: write the person's last name",
    "first_name": "required: write the person's first name",
    "agency": "required: write the agency the person works for",
}
UNDISCLOSED = "undisclosed"
# The people on record that rows matched, each with its values as loaded.
Matched = dict[int, tuple[Participant, dict[str, Any]]]


class References:
    """The reference lists, each read once, looked up by any spelling (name or alias).

    Also today's year, read once, for the birth year check.
    """

    def __init__(self) -> None:
        self.genders = {g.code: g for g in Gender.objects.all()}
        self.agency_types = _by_spelling(list(AgencyType.objects.all()))
        self.regions = _by_spelling(list(Region.objects.all()))
        self.agency_type_names = _listing(self.agency_types.values())
        self.region_names = _listing(self.regions.values())
        self.agency_type_by_id = {t.pk: t for t in self.agency_types.values()}
        self.this_year = timezone.localdate().year
        # What new records are stamped with (bulk_create stamps them again as it writes).
        self.now = timezone.now()
        self.person_check = PersonCheck(self.this_year)


class PersonCheck:
    """``participant_field_errors`` for a whole file: each distinct value is checked once.

    The checks of a person's own fields (length, email form, choices, the birth year's range)
    depend on the value alone, and a roster repeats most values (first names, positions,
    birth years...), so the field's own ``clean`` runs once per distinct value and its
    outcome is reused: the same messages as ``clean_fields``, without its walk over every
    field of every person. tests/participants/test_import_roster.py holds the two to the same
    errors.
    """

    def __init__(self, this_year: int) -> None:
        self.this_year = this_year
        self.fields = {
            name: field
            for field in Participant._meta.concrete_fields
            if (name := field.name) in ROW_FIELDS and not field.is_relation
        }
        self._seen: dict[tuple[str, Any], tuple[Any, list[str]]] = {}
        # Emails the rows' reading has passed through validate_email (parse_email).
        self.valid_emails: set[str] = set()

    def errors(self, person: Participant, names: set[str]) -> dict[str, list[str]]:
        """Return what is wrong with these fields of the person, by field, as the service does."""
        errors: dict[str, list[str]] = {}
        for name, model_field in self.fields.items():
            if name not in names:
                continue
            raw = getattr(person, model_field.attname)
            key = (name, type(raw), raw)
            outcome = self._seen.get(key)
            if outcome is None:
                outcome = self._seen[key] = self._check(name, model_field, raw, person)
            cleaned, messages = outcome
            if messages:
                errors[name] = messages
            elif cleaned is not raw:
                setattr(person, model_field.attname, cleaned)
        return errors

    def _check(
        self, name: str, model_field: Any, raw: Any, person: Participant
    ) -> tuple[Any, list[str]]:
        if model_field.blank and raw in model_field.empty_values:
            return raw, []
        try:
            if name == "email" and raw in self.valid_emails:
                cleaned = self._clean_checked_email(model_field, raw, person)
            else:
                cleaned = model_field.clean(raw, person)
        except ValidationError as exc:
            return raw, exc.messages
        if name == "birth_year":
            try:
                validate_birth_year(cleaned, this_year=self.this_year)
            except ValidationError as exc:
                return cleaned, exc.messages
        return cleaned, []

    @staticmethod
    def _clean_checked_email(model_field: Any, raw: Any, person: Participant) -> Any:
        """``model_field.clean`` less ``validate_email``, which the row's reading ran already."""
        value = model_field.to_python(raw)
        model_field.validate(value, person)
        errors = []
        for validator in model_field.validators:
            if validator is validate_email:
                continue
            try:
                validator(value)
            except ValidationError as exc:
                if getattr(exc, "code", None) in model_field.error_messages:
                    exc.message = model_field.error_messages[exc.code]
                errors.extend(exc.error_list)
        if errors:
            raise ValidationError(errors)
        return value


def _by_spelling(items: list) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for item in items:
        for spelling in item.spellings:
            found.setdefault(spelling, item)
    # A name beats another entry's alias spelt the same.
    for item in items:
        found[fold(item.name)] = item
    return found


def _listing(items: Any) -> str:
    unique = {item.pk: item for item in items}.values()
    return ", ".join(item.name for item in sorted(unique, key=lambda i: (i.sort_order, i.name)))


@dataclass
class Line:
    """One roster row as read: its values parsed, and the columns that are wrong."""

    number: int
    values: dict[str, Any]
    session_code: str = ""
    last_name: str = ""
    first_name: str = ""
    middle_name: str = ""
    gender: str = UNDISCLOSED
    birth_year: int | None = None
    agency_name: str = ""
    agency_type: AgencyType | None = None
    position: str = ""
    region: Region | None = None
    email: str = ""
    phone: str = ""
    disability: str = ""
    bad: set[str] = field(default_factory=set)
    # Decided while planning.
    session: Session | None = None
    agency: Agency | None = None
    person: Participant | None = None
    enrolment: Enrolment | None = None
    kind: str = RowResult.IMPORT_TYPE_SKIP

    @cached_property
    def probe(self) -> Probe:
        return Probe.of(
            last_name=self.last_name,
            first_name=self.first_name,
            middle_name=self.middle_name,
            email=self.email,
            birth_year=self.birth_year,
        )

    @property
    def display_name(self) -> str:
        return " ".join(p for p in (self.last_name, self.first_name, self.middle_name) if p)


@dataclass
class RosterPlan:
    """What a valid roster will write."""

    new_agencies: list[Agency] = field(default_factory=list)
    new_people: list[Participant] = field(default_factory=list)
    changed_people: dict[int, Participant] = field(default_factory=dict)
    changed_fields: set[str] = field(default_factory=set)
    new_enrolments: list[Enrolment] = field(default_factory=list)
    reactivated: list[Enrolment] = field(default_factory=list)


def _person_key(person: Participant) -> tuple[str, int]:
    # Planned people have no pk yet (and unsaved model instances cannot be hashed).
    return ("pk", person.pk) if person.pk is not None else ("new", id(person))


class RosterResource(BilimResource):
    """Import a roster of participants per session; export enrolments as such a roster."""

    columns: ClassVar[dict[str, bool]] = {
        "session": True,
        "last_name": True,
        "first_name": True,
        "middle_name": False,
        "gender": True,
        "birth_year": False,
        "agency": True,
        "agency_type": False,
        "position": False,
        "region": False,
        "email": False,
        "phone": False,
        "disability": False,
    }

    session = Field(attribute="session__code", column_name="session")
    last_name = Field(attribute="participant__last_name", column_name="last_name")
    first_name = Field(attribute="participant__first_name", column_name="first_name")
    middle_name = Field(attribute="participant__middle_name", column_name="middle_name")
    gender = Field(attribute="participant__gender__code", column_name="gender")
    birth_year = Field(attribute="participant__birth_year", column_name="birth_year")
    agency = Field(attribute="participant__agency__name", column_name="agency")
    agency_type = Field(attribute="participant__agency__type__name", column_name="agency_type")
    position = Field(attribute="participant__position", column_name="position")
    region = Field(attribute="participant__region__name", column_name="region")
    email = Field(attribute="participant__email", column_name="email")
    phone = Field(attribute="participant__phone", column_name="phone")
    disability = Field(attribute="participant__disability", column_name="disability")
    status = Field(attribute="status", column_name="status")

    class Meta:
        model = Enrolment
        fields = (
            "session",
            "last_name",
            "first_name",
            "middle_name",
            "gender",
            "birth_year",
            "agency",
            "agency_type",
            "position",
            "region",
            "email",
            "phone",
            "disability",
            "status",
        )
        export_order = fields

    EXPORT_RELATED = (
        "session",
        "participant__gender",
        "participant__agency__type",
        "participant__region",
    )

    def filter_export(self, queryset: Any, **kwargs: Any) -> Any:
        """Read each enrolment's session, person, agency and lists in the same query."""
        if isinstance(queryset, QuerySet):
            queryset = queryset.select_related(*self.EXPORT_RELATED)
        return super().filter_export(queryset, **kwargs)

    # --- import ---------------------------------------------------------------------------------

    def plan(
        self, rows: list[Row], problems: Problems, *, result: ImportResult, **kwargs: Any
    ) -> RosterPlan:
        """Validate every row, match people and agencies, and decide what to write."""
        refs = References()
        lines = [self._read(row, refs, problems) for row in rows]
        sessions = CodeLookup(
            Session.objects.only("id", "code", "status", "capacity"),
            {line.session_code for line in lines},
        )
        agencies = _load_agencies({fold(line.agency_name) for line in lines if line.agency_name})
        index = PersonIndex.load(
            email_keys=(line.probe.email_key for line in lines),
            name_keys=(line.probe.name_key for line in lines),
            fields=PERSON_FIELDS,
        )
        plan = RosterPlan()
        matched: Matched = {}
        planned_agencies: dict[str, tuple[Agency, int]] = {}
        for line in lines:
            self._plan_session(line, sessions, problems)
            self._plan_agency(line, agencies, planned_agencies, refs, problems, plan)
            self._plan_person(line, index, refs, problems, plan, matched)
        if problems:
            # Within a row, report problems in the order of the columns, as a person reads them.
            order = {column: i for i, column in enumerate(self.columns)}
            problems.items.sort(key=lambda p: (p.row, order.get(p.column, len(order))))
            return plan
        for pk, (person, before) in matched.items():
            # Compared with the record as loaded: rows that change a value and change it back
            # (a file contradicting itself) leave the person unchanged.
            fields = {
                name for name, attname in TRACKED if getattr(person, attname) != before[attname]
            }
            if fields:
                plan.changed_people[pk] = person
                plan.changed_fields |= fields
        self._plan_enrolments(lines, plan, matched)
        self._count(result, lines, plan, matched, agencies, planned_agencies)
        for line in lines:
            result.add_row(line.kind, instance=line.enrolment, values=line.values)
        return plan

    def _read(self, row: Row, refs: References, problems: Problems) -> Line:
        line = Line(number=row.number, values=row.values)

        def fail(column: str, message: str) -> None:
            problems.add(row.number, column, message)
            line.bad.add(column)

        for column, message in REQUIRED.items():
            if not row.text(column):
                fail(column, message)
        line.session_code = row.text("session")
        line.last_name = row.text("last_name")
        line.first_name = row.text("first_name")
        line.middle_name = row.text("middle_name")
        line.agency_name = row.text("agency")
        line.position = row.text("position")
        line.phone = row.text("phone")
        try:
            line.gender = parse_gender(row.raw("gender"))
        except CellError as exc:
            fail("gender", str(exc))
        if row.has("birth_year"):
            try:
                line.birth_year = parse_int(row.raw("birth_year"))
                validate_birth_year(line.birth_year, this_year=refs.this_year)
            except CellError as exc:
                fail("birth_year", str(exc))
            except ValidationError as exc:
                fail("birth_year", exc.messages[0])
        try:
            line.email = parse_email(row.raw("email"))
            refs.person_check.valid_emails.add(line.email)
        except CellError as exc:
            fail("email", str(exc))
        try:
            line.disability = parse_disability(row.raw("disability"))
        except CellError as exc:
            fail("disability", str(exc))
        if row.has("agency_type"):
            text = row.text("agency_type")
            line.agency_type = refs.agency_types.get(fold(text))
            if line.agency_type is None:
                fail(
                    "agency_type",
                    f"'{text}' is not in the list of agency types: write one of "
                    f"{refs.agency_type_names}",
                )
        if row.has("region"):
            text = row.text("region")
            line.region = refs.regions.get(fold(text))
            if line.region is None:
                fail(
                    "region",
                    f"'{text}' is not in the list of regions: write one of {refs.region_names} "
                    "(an administrator can add a region or another spelling of one)",
                )
        return line

    def _plan_session(self, line: Line, sessions: CodeLookup[Session], problems: Problems) -> None:
        if not line.session_code:
            return
        found = sessions.get(line.session_code)
        if found is None:
            problems.add(
                line.number,
                "session",
                sessions.problem(
                    line.session_code,
                    "session",
                    f"there is no session {line.session_code}: import or create the session first",
                ),
            )
            line.bad.add("session")
        elif found.status == Session.Status.CANCELLED:
            problems.add(
                line.number,
                "session",
                f"session {found.code} is cancelled: nobody can be enrolled in it",
            )
            line.bad.add("session")
        else:
            line.session = found

    def _plan_agency(
        self,
        line: Line,
        agencies: dict[str, Agency],
        planned: dict[str, tuple[Agency, int]],
        refs: References,
        problems: Problems,
        plan: RosterPlan,
    ) -> None:
        if not line.agency_name or "agency_type" in line.bad:
            return
        key = fold(line.agency_name)
        given = line.agency_type
        if key in agencies:
            agency = agencies[key]
            recorded = refs.agency_type_by_id.get(agency.type_id)
            if given is not None and given.pk != agency.type_id:
                problems.add(
                    line.number,
                    "agency_type",
                    f"agency {agency.name} is recorded as type {recorded}, not {given}: "
                    "leave agency_type blank or correct it",
                )
                line.bad.add("agency_type")
                return
        elif key in planned:
            agency, first_row = planned[key]
            if given is not None and given.pk != agency.type_id:
                problems.add(
                    line.number,
                    "agency_type",
                    f"agency {agency.name} is given type {agency.type} on row {first_row}, "
                    f"not {given}: leave agency_type blank or make them agree",
                )
                line.bad.add("agency_type")
                return
        else:
            if given is None:
                problems.add(
                    line.number,
                    "agency_type",
                    f"agency {line.agency_name} is new: write its agency type "
                    f"({refs.agency_type_names})",
                )
                line.bad.add("agency_type")
                return
            agency = Agency(name=line.agency_name, name_key=key, type=given)
            for column, messages in agency_field_errors(agency).items():
                for message in messages:
                    problems.add(line.number, "agency" if column == "name" else column, message)
                line.bad.add("agency")
            if "agency" in line.bad:
                return
            # Filed even if the row has other problems, so later rows naming it need no type.
            planned[key] = (agency, line.number)
            plan.new_agencies.append(agency)
        line.agency = agency

    def _plan_person(
        self,
        line: Line,
        index: PersonIndex,
        refs: References,
        problems: Problems,
        plan: RosterPlan,
        matched: Matched,
    ) -> None:
        if line.bad & {"last_name", "first_name", "email", "birth_year"}:
            return
        probe = line.probe
        match = index.match(probe)
        if match.ambiguous:
            column, message = match.problem(probe, line.display_name)
            problems.add(line.number, column, message)
            line.bad.add(column)
            return
        if line.bad:
            return
        person = match.person
        if person is None:
            person = Participant(
                last_name=line.last_name,
                first_name=line.first_name,
                middle_name=line.middle_name,
                # Ids rather than objects where the object is saved already, and the
                # timestamps and consent version given: Django's model __init__ otherwise
                # builds a database-default expression per field per person.
                gender_id=refs.genders[line.gender].pk,
                birth_year=line.birth_year,
                agency=line.agency,
                position=line.position,
                region_id=line.region.pk if line.region is not None else None,
                email=line.email,
                phone=line.phone,
                disability=line.disability,
                consent_version="",
                created_at=refs.now,
                updated_at=refs.now,
            )
            person.refresh_keys()
            changed = set(ROW_FIELDS)
        else:
            if person.pk is not None and person.pk not in matched:
                matched[person.pk] = (person, _snapshot(person))
            changed = _update_person(person, line, refs)
        if changed and not self._valid_person(person, changed, line, refs, problems):
            return
        line.person = person
        if match.person is None:
            index.add(person)
            plan.new_people.append(person)
            line.kind = RowResult.IMPORT_TYPE_NEW
            return
        if not changed:
            return
        line.kind = RowResult.IMPORT_TYPE_UPDATE
        if changed & {*NAME_FIELDS, "email"}:
            person.refresh_keys()
            index.reindex(person)

    def _valid_person(
        self,
        person: Participant,
        changed: set[str],
        line: Line,
        refs: References,
        problems: Problems,
    ) -> bool:
        errors = refs.person_check.errors(person, changed)
        for column, messages in errors.items():
            for message in messages:
                problems.add(line.number, column, message)
            line.bad.add(column)
        return not errors

    def _plan_enrolments(
        self,
        lines: list[Line],
        plan: RosterPlan,
        matched: Matched,
    ) -> None:
        sessions = {line.session.pk: line.session for line in lines}
        existing: dict[tuple[int, int], Enrolment] = {}
        for ids in chunked(sorted(matched)):
            for enrolment in (
                Enrolment.objects.filter(session_id__in=list(sessions), participant_id__in=ids)
                .only("id", "session_id", "participant_id", "status")
                .order_by()
            ):
                existing[(enrolment.session_id, enrolment.participant_id)] = enrolment
        limited = [pk for pk, session in sessions.items() if session.capacity is not None]
        taken = dict.fromkeys(limited, 0)
        if limited:
            taken.update(
                Enrolment.objects.filter(session_id__in=limited, status__in=Enrolment.COUNTED)
                .values_list("session_id")
                .annotate(n=Count("pk"))
                .order_by()
            )

        def seat(session: Session) -> str:
            if session.capacity is not None:
                if taken[session.pk] >= session.capacity:
                    return Enrolment.Status.WAITLISTED
                taken[session.pk] += 1
            return Enrolment.Status.REGISTERED

        now = timezone.now()
        decided: dict[tuple[int, tuple[str, int]], Enrolment] = {}
        for line in lines:
            key = (line.session.pk, _person_key(line.person))
            if key in decided:
                # The same person twice in one session: enrolled once.
                line.enrolment = decided[key]
                continue
            enrolment = None
            if line.person.pk is not None:
                enrolment = existing.get((line.session.pk, line.person.pk))
            if enrolment is None:
                enrolment = Enrolment(
                    session=line.session,
                    participant=line.person,
                    status=seat(line.session),
                    created_at=now,
                    updated_at=now,
                )
                plan.new_enrolments.append(enrolment)
                line.kind = RowResult.IMPORT_TYPE_NEW
            else:
                enrolment.session = line.session
                enrolment.participant = line.person
                if enrolment.status == Enrolment.Status.WITHDRAWN:
                    enrolment.status = seat(line.session)
                    plan.reactivated.append(enrolment)
                    if line.kind == RowResult.IMPORT_TYPE_SKIP:
                        line.kind = RowResult.IMPORT_TYPE_UPDATE
            decided[key] = enrolment
            line.enrolment = enrolment

    def _count(
        self,
        result: ImportResult,
        lines: list[Line],
        plan: RosterPlan,
        matched: Matched,
        agencies: dict[str, Agency],
        planned_agencies: dict[str, tuple[Agency, int]],
    ) -> None:
        counts = result.counts
        enrolments = {id(line.enrolment): line.enrolment for line in lines}
        new = {id(e) for e in plan.new_enrolments}
        reactivated = {id(e) for e in plan.reactivated}
        counts.add("enrolments", "created", len(new))
        counts.add("enrolments", "updated", len(reactivated))
        counts.add("enrolments", "unchanged", len(enrolments.keys() - new - reactivated))
        counts.add(
            "enrolments",
            "waitlisted",
            sum(
                1
                for key, e in enrolments.items()
                if (key in new or key in reactivated) and e.status == Enrolment.Status.WAITLISTED
            ),
        )
        counts.add("participants", "created", len(plan.new_people))
        counts.add("participants", "updated", len(plan.changed_people))
        counts.add("participants", "unchanged", len(matched.keys() - plan.changed_people.keys()))
        used = {fold(line.agency_name) for line in lines}
        counts.add("agencies", "created", len(planned_agencies))
        counts.add("agencies", "updated", 0)
        counts.add("agencies", "unchanged", len(used & agencies.keys()))

    def apply(self, plan: RosterPlan, *, result: ImportResult, **kwargs: Any) -> None:
        """Write the planned agencies, people and enrolments, a few bulk queries in all."""
        actor = import_actor(kwargs)
        moved = self._recount_seats(plan)
        if moved:
            result.counts.add("enrolments", "waitlisted", moved)
        Agency.objects.bulk_create(plan.new_agencies)
        bulk_insert(Participant, plan.new_people)
        history_record(plan.new_people, actor=actor, kind=CREATED, model=Participant)
        now = timezone.now()
        if plan.changed_people:
            people = list(plan.changed_people.values())
            for person in people:
                person.updated_at = now
            Participant.objects.bulk_update(
                people, sorted(plan.changed_fields | {"name_key", "email_key", "updated_at"})
            )
            history_record(people, actor=actor, model=Participant)
        bulk_insert(Enrolment, plan.new_enrolments)
        history_record(plan.new_enrolments, actor=actor, kind=CREATED, model=Enrolment)
        if plan.reactivated:
            for enrolment in plan.reactivated:
                enrolment.updated_at = now
            Enrolment.objects.bulk_update(plan.reactivated, ["status", "updated_at"])
            history_record(plan.reactivated, actor=actor, model=Enrolment)

    @staticmethod
    def _recount_seats(plan: RosterPlan) -> int:
        """Lock the sessions given seats and hand them out again; return how many now wait.

        The plan counted free seats before the import's transaction: people registering
        meanwhile may have taken some. Locking the sessions (in one order, so two imports never
        deadlock) and counting again inside the transaction keeps the capacity, as the
        registration service does.
        """
        wanting = [
            e for e in [*plan.new_enrolments, *plan.reactivated] if e.status in Enrolment.COUNTED
        ]
        limited = sorted({e.session_id for e in wanting})
        capacity = dict(
            Session.objects.select_for_update()
            .filter(pk__in=limited, capacity__isnull=False)
            .order_by("pk")
            .values_list("pk", "capacity")
        )
        taken = dict.fromkeys(capacity, 0)
        taken.update(
            Enrolment.objects.filter(session_id__in=list(capacity), status__in=Enrolment.COUNTED)
            .values_list("session_id")
            .annotate(n=Count("pk"))
            .order_by()
        )
        moved = 0
        for enrolment in wanting:
            if enrolment.session_id in capacity:
                if taken[enrolment.session_id] >= capacity[enrolment.session_id]:
                    enrolment.status = Enrolment.Status.WAITLISTED
                    moved += 1
                else:
                    taken[enrolment.session_id] += 1
        return moved


def _snapshot(person: Participant) -> dict[str, Any]:
    return {attname: getattr(person, attname) for _, attname in TRACKED}


def _update_person(person: Participant, line: Line, refs: References) -> set[str]:
    """Copy the row's non-blank values that differ onto a matched person; return the fields.

    Names and email count as different only when their folded keys differ, so that a file in
    capitals or another spelling of the same email does not overwrite the stored spelling.
    """
    changed: set[str] = set()

    def put(name: str, value: Any) -> None:
        setattr(person, name, value)
        changed.add(name)

    for name in NAME_FIELDS:
        value = getattr(line, name)
        if value and fold(value) != fold(getattr(person, name)):
            put(name, value)
    if line.email and email_key(line.email) != person.email_key:
        put("email", line.email)
    for name in ("position", "phone", "disability"):
        value = getattr(line, name)
        if value and value != getattr(person, name):
            put(name, value)
    if line.birth_year is not None and line.birth_year != person.birth_year:
        put("birth_year", line.birth_year)
    # "undisclosed" is what a blank cell means, so it never replaces a gender on record.
    if line.gender != UNDISCLOSED:
        gender = refs.genders[line.gender]
        if gender.pk != person.gender_id:
            put("gender", gender)
    if line.region is not None and line.region.pk != person.region_id:
        put("region", line.region)
    if line.agency is not None and not _works_for(person, line.agency):
        put("agency", line.agency)
    return changed


def _works_for(person: Participant, agency: Agency) -> bool:
    if agency.pk is not None:
        return person.agency_id == agency.pk
    # A planned agency: only a person an earlier row of this file gave it can hold it already.
    return Participant.agency.is_cached(person) and person.agency is agency


def _load_agencies(keys: set[str]) -> dict[str, Agency]:
    agencies: dict[str, Agency] = {}
    for chunk in chunked(sorted(keys)):
        for agency in Agency.objects.filter(name_key__in=chunk).only(
            "id", "name", "name_key", "type"
        ):
            agencies[agency.name_key] = agency
    return agencies
