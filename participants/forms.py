"""Forms of the participant pages: the directory's filters and the choice of the record to keep."""

from django import forms
from django.utils.translation import gettext_lazy as _

from config.fields import ListedModelChoiceField
from participants.models import AgencyType, Gender, Region
from trainings.models import Course


class DirectoryFilterForm(forms.Form):
    """The directory's filters, read from the query string; every field may stay blank."""

    q = forms.CharField(
        label=_("Name or email"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    agency = forms.CharField(label=_("Agency"), required=False, max_length=200)
    agency_type = ListedModelChoiceField(
        label=_("Agency type"),
        queryset=AgencyType.objects.all(),
        required=False,
        empty_label=_("Any type"),
    )
    region = ListedModelChoiceField(
        label=_("Region"),
        queryset=Region.objects.all(),
        required=False,
        empty_label=_("Any region"),
    )
    gender = ListedModelChoiceField(
        label=_("Gender"),
        queryset=Gender.objects.all(),
        required=False,
        empty_label=_("Any gender"),
    )
    course = ListedModelChoiceField(
        label=_("Course"),
        queryset=Course.objects.order_by("code"),
        required=False,
        empty_label=_("Any course"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["course"].label_from_instance = lambda c: f"{c.code} · {c.title}"

    def filters(self) -> dict:
        """Return the selector's keyword arguments from the fields that are valid.

        A field that does not validate (an unknown region id in an old link) is left out and
        reported on the page; the other filters still apply.
        """
        data = {}
        if self.is_bound:
            self.is_valid()  # leaves in cleaned_data exactly the fields that validate
            data = self.cleaned_data
        return {
            "search": data.get("q") or "",
            "agency": data.get("agency") or "",
            "agency_type": data.get("agency_type"),
            "region": data.get("region"),
            "gender": data.get("gender"),
            "course": data.get("course"),
        }

    def is_filtered(self) -> bool:
        return any(self.filters().values())


class MergeForm(forms.Form):
    """Which of the two records under review to keep; the other is merged into it."""

    keep = forms.TypedChoiceField(
        label=_("Record to keep"),
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the record to keep.")},
    )

    def __init__(self, *args, people=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["keep"].choices = [(p.pk, str(p.pk)) for p in people]


class EraseForm(forms.Form):
    """The reason for erasing a person's data, kept in the record's history."""

    reason = forms.CharField(
        label=_("Reason for the erasure"),
        max_length=100,
        help_text=_(
            "For example: the person asked by letter of 3 March. Kept in the history; do not "
            "write the person's name."
        ),
    )
