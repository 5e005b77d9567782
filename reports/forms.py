"""The statistics filters as a form: the page, the downloads and the workbook read them alike."""

from django import forms
from django.utils.translation import gettext_lazy as _

from config.fields import ListedModelChoiceField
from participants.models import AgencyType, Gender, Region
from reports.models import Programme
from reports.stats import Filters, StatsFilterError
from trainings.models import Course


class StatisticsFilterForm(forms.Form):
    """GET parameters programme, course, from, to, region, agency_type, gender; all optional."""

    programme = ListedModelChoiceField(
        Programme.objects.all(),
        required=False,
        to_field_name="code",
        label=_("Programme"),
        empty_label=_("All programmes"),
    )
    course = ListedModelChoiceField(
        Course.objects.all().order_by("code"),
        required=False,
        to_field_name="code",
        label=_("Course"),
        empty_label=_("All courses"),
    )
    date_from = forms.DateField(
        required=False,
        label=_("Sessions starting from"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = forms.DateField(
        required=False, label=_("to"), widget=forms.DateInput(attrs={"type": "date"})
    )
    region = ListedModelChoiceField(
        Region.objects.all(),
        required=False,
        label=_("Participant's region"),
        empty_label=_("All regions"),
    )
    agency_type = ListedModelChoiceField(
        AgencyType.objects.all(),
        required=False,
        label=_("Agency type"),
        empty_label=_("All agency types"),
    )
    gender = ListedModelChoiceField(
        Gender.objects.all(),
        required=False,
        to_field_name="code",
        label=_("Gender"),
        empty_label=_("All genders"),
    )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end of the period is before its start."))
        return cleaned

    def filters(self) -> Filters:
        """Return the Filters of a valid form (call is_valid() first)."""
        data = self.cleaned_data
        try:
            return Filters(
                course=data["course"].code if data.get("course") else None,
                date_from=data.get("date_from"),
                date_to=data.get("date_to"),
                region=data.get("region"),
                agency_type=data.get("agency_type"),
                gender=data.get("gender"),
                programme=data.get("programme"),
            )
        except StatsFilterError as exc:  # pragma: no cover - clean() catches the dates first
            raise forms.ValidationError(str(exc)) from exc

    def described(self) -> list[tuple[str, str]]:
        """Return (label, value) for each filter that is set, for titles and workbook sheets."""
        shown = []
        for name, field in self.fields.items():
            value = self.cleaned_data.get(name) if hasattr(self, "cleaned_data") else None
            if value in (None, ""):
                continue
            if hasattr(value, "isoformat"):
                value = value.isoformat()
            shown.append((str(field.label), str(value)))
        return shown
