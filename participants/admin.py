"""Admin for participants, their agencies and the reference lists that describe them."""

from functools import reduce
from operator import or_

from django import forms
from django.contrib import admin
from django.db.models import Count, Model, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.text import smart_split, unescape_string_literal
from import_export.admin import ExportMixin

from participants.models import Agency, AgencyType, Gender, Participant, Region
from participants.normalize import email_key, fold
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
        ("Other", {"fields": ("disability", "consent", "consent_at")}),
        ("Record", {"fields": ("created_at", "updated_at")}),
    )
    export_resources = (("trainings.admin_import.ParticipantExportResource", "Participants"),)

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
