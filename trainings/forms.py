"""The organisers' forms: they check the shape of what is typed; services check the rules."""

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from config.fields import ListedModelChoiceField
from participants.models import Agency, AgencyType, Gender, Participant, Region
from participants.normalize import clean_text, fold
from trainings import roles
from trainings.models import Course, Enrolment, Session


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Show a service's ValidationError on the fields it names, the rest above the form."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


class ServiceModelForm(forms.ModelForm):
    """A ModelForm that leaves the model's validation to the service it feeds."""

    def _post_clean(self) -> None:
        pass


class CourseForm(forms.ModelForm):
    class Meta:
        model = Course
        fields = ["code", "title", "thematic_area", "assessed", "pass_mark", "min_attendance"]
        labels = {
            "code": _("Code"),
            "title": _("Title"),
            "thematic_area": _("Thematic area"),
            "assessed": _("Assessed with a pre- and post-test"),
            "pass_mark": _("Default pass mark (%)"),
            "min_attendance": _("Default minimum attendance (%)"),
        }
        help_texts = {
            "pass_mark": _("Percent of the maximum score; sessions may set their own."),
            "min_attendance": _("Percent of the training days; sessions may set their own."),
            "assessed": "",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # The code names the course in spreadsheets: it does not change here.
            self.fields["code"].disabled = True


class TrainerChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.get_full_name() or obj.get_username()

    def _check_values(self, value: Any) -> Any:
        # An id beyond the database's integers is nobody (SQLite cannot even bind it: a 500).
        for pk in value:
            text = str(pk).strip().removeprefix("-")
            if text.isdecimal() and int(text) >= 2**63:
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": str(pk)[:20]},
                )
        return super()._check_values(value)


class SessionForm(ServiceModelForm):
    trainers = TrainerChoiceField(
        queryset=get_user_model().objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Trainers"),
    )

    class Meta:
        model = Session
        fields = [
            "code",
            "course",
            "title",
            "start_date",
            "end_date",
            "region",
            "venue",
            "format",
            "language",
            "status",
            "capacity",
            "max_score",
            "pass_mark",
            "min_attendance",
            "training_hours",
            "certificate_language",
            "certificate_design",
        ]
        labels = {
            "code": _("Code"),
            "course": _("Course"),
            "title": _("Title"),
            "start_date": _("Start date"),
            "end_date": _("End date"),
            "region": _("Region"),
            "venue": _("Venue"),
            "format": _("Format"),
            "language": _("Language"),
            "status": _("Status"),
            "capacity": _("Capacity"),
            "max_score": _("Maximum test score"),
            "pass_mark": _("Pass mark (%)"),
            "min_attendance": _("Minimum attendance (%)"),
            "training_hours": _("Training hours"),
            "certificate_language": _("Certificate language"),
            "certificate_design": _("Certificate design"),
        }
        help_texts = {
            "title": _("Leave empty to use the course title."),
            "capacity": _("Leave empty for no limit; people beyond it go on the waitlist."),
            "max_score": "",
            "pass_mark": _("Percent of the maximum score; empty takes the course's."),
            "min_attendance": _("Percent of the training days; empty takes the course's."),
            "training_hours": _("Printed on certificates; without it, the days are."),
            "certificate_language": "",
            "certificate_design": _("Without one, the default design."),
        }
        widgets = {"start_date": DateInput(), "end_date": DateInput()}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        users = get_user_model().objects.filter(groups__name=roles.TRAINER).distinct()
        self.fields["trainers"].queryset = users.order_by("last_name", "first_name", "username")
        if self.instance.pk:
            self.initial.setdefault("trainers", list(self.instance.trainers.all()))
        # Empty takes the course's: the service fills them in on creation.
        self.fields["pass_mark"].required = bool(self.instance.pk)
        self.fields["min_attendance"].required = bool(self.instance.pk)
        self.fields["course"].empty_label = _("Choose a course")
        self.fields["region"].empty_label = _("Choose a region")
        self.fields["certificate_design"].empty_label = _("The default design")
        self.fields["region"].queryset = Region.objects.order_by("sort_order", "name")

    def service_values(self) -> dict[str, Any]:
        """Return the cleaned values as keyword arguments of session_create / session_update."""
        values = dict(self.cleaned_data)
        values["trainers"] = list(values.get("trainers") or [])
        return values


class SessionCopyForm(forms.Form):
    code = forms.CharField(label=_("New code"), max_length=40)
    start_date = forms.DateField(label=_("New start date"), widget=DateInput())

    def clean_code(self) -> str:
        return clean_text(self.cleaned_data["code"])


class EnrolmentStatusForm(forms.Form):
    status = forms.ChoiceField(choices=Enrolment.Status.choices)


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)


class SessionFilterForm(forms.Form):
    q = forms.CharField(label=_("Code or title"), required=False, max_length=200)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), *Session.Status.choices],
    )
    course = ListedModelChoiceField(
        label=_("Course"), required=False, queryset=Course.objects.none(), empty_label=_("Any")
    )
    region = ListedModelChoiceField(
        label=_("Region"), required=False, queryset=Region.objects.none(), empty_label=_("Any")
    )
    year = forms.TypedChoiceField(label=_("Year"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args: Any, years: list[int] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = Course.objects.only("code", "title").order_by("code")
        self.fields["region"].queryset = Region.objects.order_by("sort_order", "name")
        self.fields["year"].choices = [("", _("Any")), *[(y, str(y)) for y in years]]


class NewPersonForm(forms.Form):
    """A person registered by hand: the roster's columns."""

    last_name = forms.CharField(label=_("Last name"), max_length=100)
    first_name = forms.CharField(label=_("First name"), max_length=100)
    middle_name = forms.CharField(label=_("Middle name"), max_length=100, required=False)
    gender = ListedModelChoiceField(
        label=_("Gender"), queryset=Gender.objects.none(), empty_label=_("Choose")
    )
    birth_year = forms.IntegerField(label=_("Birth year"), required=False)
    agency_name = forms.CharField(label=_("Agency"), max_length=255)
    agency_type = ListedModelChoiceField(
        label=_("Agency type"),
        queryset=AgencyType.objects.none(),
        required=False,
        empty_label=_("Choose"),
        help_text=_("Needed only when the agency is new."),
    )
    position = forms.CharField(label=_("Position"), max_length=255, required=False)
    region = ListedModelChoiceField(
        label=_("Region"), queryset=Region.objects.none(), required=False, empty_label=_("None")
    )
    email = forms.EmailField(label=_("Email"), required=False)
    phone = forms.CharField(label=_("Phone"), max_length=50, required=False)
    disability = forms.ChoiceField(
        label=_("Disability"),
        required=False,
        choices=[
            ("", _("Not stated")),
            (Participant.Disability.YES, _("Yes")),
            (Participant.Disability.NO, _("No")),
        ],
    )
    consent = forms.BooleanField(
        label=_("The person consents to the processing of their data"), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["gender"].queryset = Gender.objects.order_by("sort_order", "name")
        self.fields["agency_type"].queryset = AgencyType.objects.order_by("sort_order", "name")
        self.fields["region"].queryset = Region.objects.order_by("sort_order", "name")
        self.agency: Agency | None = None

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        name = clean_text(data.get("agency_name"))
        if name:
            self.agency = Agency.objects.filter(name_key=fold(name)).first()
            if self.agency is None and not data.get("agency_type"):
                self.add_error(
                    "agency_type",
                    _("%(agency)s is a new agency: choose its type.") % {"agency": name},
                )
        return data
