"""Trainers' grids: attendance per day and pre/post scores, saved cell by cell."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import path
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View
from django.views.generic import TemplateView

from participants.normalize import name_order_key
from trainings.grid_services import (
    SCORE_FIELDS,
    ConflictError,
    attendance_day_present,
    attendance_mark,
    enrolment_score_save,
    score_display,
    score_parse,
    score_text,
)
from trainings.models import Attendance, Enrolment, Session, TrainingDay
from trainings.permissions import ALL_ROLES, SessionAccessMixin

CONFLICT = 409
UNPROCESSABLE = 422


# --- reads ---------------------------------------------------------------------------------------


def _enrolments(session: Session) -> tuple[list[Enrolment], list[Enrolment]]:
    """Return the enrolments that count, by name, and the others (waitlisted, withdrawn)."""
    enrolments = sorted(
        Enrolment.objects.filter(session=session).select_related("participant"),
        key=lambda e: (
            name_order_key(
                e.participant.last_name, e.participant.first_name, e.participant.middle_name
            ),
            e.pk,
        ),
    )
    counted = [e for e in enrolments if e.status in Enrolment.COUNTED]
    others = [e for e in enrolments if e.status not in Enrolment.COUNTED]
    return counted, others


def _percent(score: Decimal | None, max_score: Decimal) -> float | None:
    return None if score is None else float(score) * 100 / float(max_score)


def _score_row(enrolment: Enrolment, max_score: Decimal) -> dict:
    pre = _percent(enrolment.pre_score, max_score)
    post = _percent(enrolment.post_score, max_score)
    return {
        "enrolment": enrolment,
        "name": enrolment.participant.full_name,
        "cells": [_score_cell(enrolment, field) for field in SCORE_FIELDS],
        "pre_percent": pre,
        "post_percent": post,
        "gain": None if pre is None or post is None else post - pre,
    }


def _score_cell(
    enrolment: Enrolment, field: str, *, typed=None, error: str = "", note: str = ""
) -> dict:
    stored = getattr(enrolment, SCORE_FIELDS[field])
    return {
        "enrolment": enrolment,
        "name": enrolment.participant.full_name,
        "field": field,
        "value": score_display(stored) if typed is None else typed,
        "was": score_text(stored),
        "error": error,
        "note": note,
    }


def _attendance_cell(enrolment: Enrolment, day: TrainingDay, present: bool) -> dict:
    return {
        "enrolment": enrolment,
        "name": enrolment.participant.full_name,
        "day": day,
        "present": present,
    }


# --- pages ---------------------------------------------------------------------------------------


class AttendanceGridView(SessionAccessMixin, TemplateView):
    """Show participants × training days; trainers toggle each cell, saved at once."""

    roles = ALL_ROLES
    template_name = "trainings/attendance_grid.html"

    def get_context_data(self, **kwargs):
        session = self.session
        days = list(TrainingDay.objects.filter(session=session).order_by("date"))
        counted, others = _enrolments(session)
        marks = dict(
            ((enrolment_id, day_id), present)
            for enrolment_id, day_id, present in Attendance.objects.filter(
                enrolment__session=session
            ).values_list("enrolment_id", "day_id", "present")
        )
        rows = []
        day_totals = [0] * len(days)
        for enrolment in counted:
            cells = []
            for i, day in enumerate(days):
                present = marks.get((enrolment.pk, day.pk), False)
                cells.append(_attendance_cell(enrolment, day, present))
                day_totals[i] += present
            rows.append(
                {
                    "enrolment": enrolment,
                    "name": enrolment.participant.full_name,
                    "cells": cells,
                    "total": sum(c["present"] for c in cells),
                }
            )
        return super().get_context_data(
            days=days,
            day_columns=list(zip(days, day_totals, strict=True)),
            rows=rows,
            others=others,
            **kwargs,
        )


class AttendanceDayView(AttendanceGridView):
    """Mark present on one day everyone the person saw absent; answer the grid again."""

    changes = True

    def post(self, request, *args, **kwargs):
        day_id = _int(request.POST.get("day"))
        if day_id is None:
            return HttpResponseBadRequest("day is required")
        day = get_object_or_404(TrainingDay, pk=day_id, session=self.session)
        ids = [i for i in map(_int, request.POST.get("absent", "").split(",")) if i is not None]
        changed = attendance_day_present(day=day, enrolment_ids=ids, actor=request.user)
        date = date_format(day.date, "DATE_FORMAT")
        if changed:
            message = ngettext(
                "%(count)d more marked present on %(date)s.",
                "%(count)d more marked present on %(date)s.",
                changed,
            ) % {"count": changed, "date": date}
        else:
            message = _("Everyone was already marked present on %(date)s.") % {"date": date}
        return self.render_to_response(self.get_context_data(status_message=message))


class ScoreGridView(SessionAccessMixin, TemplateView):
    """Show the pre- and post-test scores; trainers type them like in a spreadsheet."""

    roles = ALL_ROLES
    template_name = "trainings/score_grid.html"

    def get_context_data(self, **kwargs):
        counted, others = _enrolments(self.session)
        max_score = self.session.max_score
        return super().get_context_data(
            rows=[_score_row(e, max_score) for e in counted],
            others=others,
            max_plain=score_text(max_score),
            max_display=score_display(max_score),
            **kwargs,
        )


# --- cells ---------------------------------------------------------------------------------------


# The largest id a database integer holds; a larger one in a lookup crashes SQLite's driver.
MAX_ID = 2**63 - 1


def _int(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if -MAX_ID <= number <= MAX_ID else None


_BOOLEANS = {"true": True, "1": True, "false": False, "0": False}


class AttendanceMarkView(SessionAccessMixin, View):
    """Save one attendance cell; answer the new cell and the totals (409 on a conflict)."""

    roles = ALL_ROLES
    changes = True

    def post(self, request, *args, **kwargs):
        enrolment_id, day_id = _int(request.POST.get("enrolment")), _int(request.POST.get("day"))
        was = _BOOLEANS.get(request.POST.get("was", ""))
        if enrolment_id is None or day_id is None or was is None:
            return HttpResponseBadRequest("enrolment, day and was are required")
        present = _BOOLEANS.get(request.POST.get("present", ""), not was)
        enrolment = get_object_or_404(
            Enrolment.objects.select_related("participant"), pk=enrolment_id, session=self.session
        )
        day = get_object_or_404(TrainingDay, pk=day_id, session=self.session)
        status, message, alert = 200, "", False
        try:
            attendance_mark(
                enrolment=enrolment, day=day, present=present, expected=was, actor=request.user
            )
            shown = present
        except ConflictError as conflict:
            status, shown, alert = CONFLICT, conflict.current, True
            message = _(
                "Changed meanwhile by someone else: %(name)s, %(date)s is now %(state)s. "
                "Your change was not saved — click the cell again if it is still needed."
            ) % {
                "name": enrolment.participant.full_name,
                "date": date_format(day.date, "DATE_FORMAT"),
                "state": _("present") if conflict.current else _("absent"),
            }
        except ValidationError as error:
            status, shown, alert = UNPROCESSABLE, was, True
            message = " ".join(error.messages)
        totals = Attendance.objects.filter(present=True).aggregate(
            row=Count("pk", filter=Q(enrolment=enrolment)),
            column=Count("pk", filter=Q(day=day, enrolment__status__in=Enrolment.COUNTED)),
        )
        html = render_to_string(
            "trainings/partials/_grid_attendance_response.html",
            {
                "cell": _attendance_cell(enrolment, day, shown),
                "session": self.session,
                "can_change": True,
                "row_total": totals["row"],
                "day_total": totals["column"],
                "message": message,
                "alert": alert,
            },
            request=request,
        )
        return HttpResponse(html, status=status)


class ScoreSaveView(SessionAccessMixin, View):
    """Save one score; answer the new cell and the row's figures (409 conflict, 422 refused)."""

    roles = ALL_ROLES
    changes = True

    def post(self, request, *args, **kwargs):
        enrolment_id, field = _int(request.POST.get("enrolment")), request.POST.get("field")
        if enrolment_id is None or field not in SCORE_FIELDS or "was" not in request.POST:
            return HttpResponseBadRequest("enrolment, field (pre or post) and was are required")
        enrolment = get_object_or_404(
            Enrolment.objects.select_related("participant"), pk=enrolment_id, session=self.session
        )
        enrolment.session = self.session
        typed = request.POST.get("value", "")
        status, message, alert = 200, "", False
        try:
            expected = score_parse(request.POST["was"])
            value = score_parse(typed)
            enrolment = enrolment_score_save(
                enrolment=enrolment, field=field, value=value, expected=expected, actor=request.user
            )
            cell = _score_cell(enrolment, field)
            message = _("Saved: %(name)s, %(test)s %(score)s.") % {
                "name": enrolment.participant.full_name,
                "test": _("pre-test") if field == "pre" else _("post-test"),
                "score": score_display(value) if value is not None else _("not taken"),
            }
        except ConflictError as conflict:
            status, alert = CONFLICT, True
            enrolment.refresh_from_db(fields=["status", "pre_score", "post_score"])
            current = score_display(conflict.current) or _("blank")
            message = _(
                "Changed meanwhile by someone else: now %(current)s. Your %(typed)s was not "
                "saved — enter it again if it is right."
            ) % {"current": current, "typed": typed.strip() or _("blank")}
            note = _("Changed meanwhile: now %(current)s.") % {"current": current}
            cell = _score_cell(enrolment, field, note=note)
        except ValidationError as invalid:
            status, alert = UNPROCESSABLE, True
            enrolment.refresh_from_db(fields=["status", "pre_score", "post_score"])
            # Said next to the field (which keeps what was typed), not once more above the grid.
            cell = _score_cell(enrolment, field, typed=typed, error=" ".join(invalid.messages))
        row = _score_row(enrolment, self.session.max_score)
        html = render_to_string(
            "trainings/partials/_grid_score_response.html",
            {
                "cell": cell,
                "row": row,
                "session": self.session,
                "can_change": True,
                "max_plain": score_text(self.session.max_score),
                "message": message,
                "alert": alert,
            },
            request=request,
        )
        return HttpResponse(html, status=status)


urlpatterns = [
    path("sessions/<str:code>/attendance/", AttendanceGridView.as_view(), name="attendance_grid"),
    path(
        "sessions/<str:code>/attendance/day/",
        AttendanceDayView.as_view(),
        name="attendance_day_present",
    ),
    path(
        "sessions/<str:code>/attendance/mark/",
        AttendanceMarkView.as_view(),
        name="attendance_mark",
    ),
    path("sessions/<str:code>/scores/", ScoreGridView.as_view(), name="score_grid"),
    path("sessions/<str:code>/scores/save/", ScoreSaveView.as_view(), name="score_save"),
]
