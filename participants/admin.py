"""Admin for participants, their agencies and the reference lists that describe them."""

import json
from functools import reduce
from operator import or_

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db.models import Count, Model, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import smart_split, unescape_string_literal
from import_export.admin import ExportMixin

from participants.duplicates import suggestions_among
from participants.models import (
    Agency,
    AgencyType,
    Gender,
    Participant,
    ParticipantMerge,
    Region,
)
from participants.normalize import email_key, fold
from participants.services import (
    ParticipantMergeError,
    current_consent_version,
    participant_merge,
)
from trainings.admin_import import BilimImportExportMixin


def folded_search(queryset: QuerySet, search_term: str, key_fields: tuple[str, ...]) -> QuerySet:
    """Keep the rows whose folded key columns contain every folded word of the search term."""
    for bit in smart_split(search_term):
        if bit.startswith(('"', "'")) and bit[0] == bit[-1]:
            bit = unescape_string_literal(bit)
        word = fold(bit)
        if word:
            queryset = queryset.filter(
                reduce(or_, (Q(**{f"{field}__contains": word}) for field in key_fields))
            )
    return queryset


class FoldedSearchMixin:
    """Search stored ``*_key`` columns with the folded term.

    Django's admin search uses icontains, which SQLite folds for ASCII letters only, so
    "айгүл" would not find "Айгүл" there. ``search_fields`` stays set so that the search box
    shows and other admins may use this one for autocomplete; ``folded_search_fields`` is what
    is searched.
    """

    folded_search_fields: tuple[str, ...] = ("name_key",)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        return folded_search(queryset, search_term, self.folded_search_fields), False


def key_taken(model: type[Model], field: str, key: str, instance: Model) -> Model | None:
    """Return another row whose ``field`` already holds ``key``, or None."""
    others = model._default_manager.filter(**{field: key})
    if instance.pk:
        others = others.exclude(pk=instance.pk)
    return others.first()


class FoldedNameForm(forms.ModelForm):
    """Refuse a name that differs from an existing one only in case (in any alphabet)."""

    def clean_name(self) -> str:
        name = self.cleaned_data["name"]
        other = key_taken(self._meta.model, "name_key", fold(name), self.instance)
        if other is not None:
            raise forms.ValidationError(
                f"“{other}” already exists; names are compared ignoring case: "
                "edit that one instead."
            )
        return name


class ReferenceItemAdmin(FoldedSearchMixin, admin.ModelAdmin):
    form = FoldedNameForm
    list_display = ("name", "aliases", "sort_order")
    list_editable = ("sort_order",)
    search_fields = ("name",)
    folded_search_fields = ("name_key",)
    fields = ("name", "aliases", "sort_order")


@admin.register(Gender)
class GenderAdmin(ReferenceItemAdmin):
    list_display = ("name", "code", "aliases", "sort_order")
    fields = ("name", "code", "aliases", "sort_order")


@admin.register(AgencyType)
class AgencyTypeAdmin(ReferenceItemAdmin):
    pass


@admin.register(Region)
class RegionAdmin(ReferenceItemAdmin):
    pass


@admin.register(Agency)
class AgencyAdmin(FoldedSearchMixin, admin.ModelAdmin):
    form = FoldedNameForm
    list_display = ("name", "type", "parent", "participant_count")
    list_filter = ("type",)
    list_select_related = ("type", "parent")
    # Explicit, because Meta.ordering is dropped from the grouped (annotated) queries.
    ordering = ("name",)
    search_fields = ("name",)
    autocomplete_fields = ("parent",)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return (
            super()
            .get_queryset(request)
            .select_related("type", "parent")
            .annotate(participant_count=Count("participants"))
        )

    @admin.display(description="participants", ordering="participant_count")
    def participant_count(self, agency: Agency) -> int:
        return agency.participant_count


class ParticipantForm(forms.ModelForm):
    def clean_email(self) -> str:
        email = self.cleaned_data["email"]
        key = email_key(email)
        other = key_taken(Participant, "email_key", key, self.instance) if key else None
        if other is not None:
            raise forms.ValidationError(
                f"{other} already has this email address: if this is the same person, "
                "edit that record instead."
            )
        return email

    def clean(self) -> dict:
        cleaned = super().clean()
        # The consent's date is required by a constraint; ticking the box means "now".
        if cleaned.get("consent") and not cleaned.get("consent_at"):
            cleaned["consent_at"] = timezone.now()
        # Consent ticked here is consent to the text in use now, unless a version is written.
        newly = cleaned.get("consent") and not self.instance.consent
        if newly and not cleaned.get("consent_version"):
            cleaned["consent_version"] = current_consent_version()
        return cleaned


@admin.register(Participant)
class ParticipantAdmin(BilimImportExportMixin, ExportMixin, FoldedSearchMixin, admin.ModelAdmin):
    form = ParticipantForm
    list_display = (
        "full_name",
        "gender",
        "birth_year",
        "agency",
        "region",
        "email",
        "enrolment_count",
    )
    list_filter = ("gender", "region", "agency__type", "disability")
    list_select_related = ("gender", "agency", "region")
    ordering = ("last_name", "first_name", "middle_name")
    search_fields = ("last_name", "first_name", "middle_name", "email")
    search_help_text = "Last, first or middle name, or email, in any case."
    folded_search_fields = ("name_key", "email_key")
    autocomplete_fields = ("agency",)
    readonly_fields = ("created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("last_name", "first_name", "middle_name", "gender", "birth_year")}),
        ("Work", {"fields": ("agency", "position", "region")}),
        ("Contact", {"fields": ("email", "phone")}),
        ("Other", {"fields": ("disability", "consent", "consent_at", "consent_version")}),
        ("Record", {"fields": ("created_at", "updated_at")}),
    )
    export_resources = (("trainings.admin_import.ParticipantExportResource", "Participants"),)
    actions = ("merge_two",)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return (
            super()
            .get_queryset(request)
            .select_related("gender", "agency", "agency__type", "region")
            .annotate(enrolment_count=Count("enrolments"))
        )

    @admin.display(description="name", ordering="name_key")
    def full_name(self, participant: Participant) -> str:
        return participant.full_name

    @admin.display(description="enrolments", ordering="enrolment_count")
    def enrolment_count(self, participant: Participant) -> int:
        return participant.enrolment_count

    def has_merge_permission(self, request: HttpRequest) -> bool:
        """Let whoever may change participants merge them: organisers review duplicates.

        Not the delete permission, which organisers lack: a merge deletes only a record that it
        copies into the merge history, and moves everything that hung on it.
        """
        return self.has_change_permission(request)

    @admin.action(description="Merge the two selected participants", permissions=["merge"])
    def merge_two(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        """Ask which of two records to keep, then merge the other into it."""
        people = list(queryset.order_by("pk"))
        if len(people) != 2:
            self.message_user(
                request,
                f"Select exactly two participants to merge ({len(people)} selected).",
                messages.WARNING,
            )
            return None
        if request.POST.get("post") == "yes":
            by_pk = {str(p.pk): p for p in people}
            keep_pk = request.POST.get("keep", "")
            if keep_pk not in by_pk:
                self.message_user(request, "Choose the record to keep.", messages.ERROR)
                return None
            keep = by_pk.pop(keep_pk)
            (merge,) = by_pk.values()
            try:
                record = participant_merge(keep=keep, merge=merge, actor=request.user)
            except ParticipantMergeError as exc:
                self.message_user(request, f"Nothing was merged: {exc}", messages.ERROR)
                return None
            snapshot = record.merged_snapshot
            self.message_user(
                request,
                f"{merge.full_name} (#{merge.pk}) merged into {keep.full_name} (#{keep.pk}): "
                f"{len(snapshot['enrolments_moved'])} enrolment(s) moved, "
                f"{len(snapshot['combined'])} combined.",
                messages.SUCCESS,
            )
            return None
        suggestion = next(iter(suggestions_among(people)), None)
        # Keep by default the record with more enrolments, then the older one.
        default = max(people, key=lambda p: (p.enrolment_count, -p.pk))
        context = {
            **self.admin_site.each_context(request),
            "title": "Merge two participants",
            "opts": self.model._meta,
            "people": people,
            "default_keep": default,
            "suggestion": suggestion,
            "selected": [p.pk for p in people],
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/participants/merge_confirmation.html", context)


@admin.register(ParticipantMerge)
class ParticipantMergeAdmin(admin.ModelAdmin):
    """The record of merges: read only, since a merge is history."""

    list_display = ("merged_at", "kept", "merged_id", "merged_name", "merged_by")
    list_select_related = ("kept", "merged_by")
    date_hierarchy = "merged_at"
    fields = ("kept", "merged_id", "merged_by", "merged_at", "snapshot")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    @admin.display(description="merged record")
    def merged_name(self, merge: ParticipantMerge) -> str:
        snapshot = merge.merged_snapshot
        return " ".join(
            snapshot.get(k) or "" for k in ("last_name", "first_name", "middle_name")
        ).strip()

    @admin.display(description="snapshot of the merged record")
    def snapshot(self, merge: ParticipantMerge) -> str:
        return format_html(
            "<pre>{}</pre>", json.dumps(merge.merged_snapshot, ensure_ascii=False, indent=2)
        )
