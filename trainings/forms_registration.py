"""The public registration form: the roster's fields, consent, and two traps for bots."""

from __future__ import annotations

import re
import time
from typing import Any

from django import forms
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from participants.models import AgencyType, Gender, Participant, Region
from participants.normalize import fold
from participants.services import BIRTH_YEAR_MIN
from trainings.registration import OTHER_AGENCY_TYPE

# The honeypot's name: a word form fillers recognise and fill, a person never sees the field.
HONEYPOT = "website"
STAMP_SALT = "trainings.registration.form-stamp"

GENDER_CHOICES = [
    ("female", _("Woman")),
    ("male", _("Man")),
    ("other", _("Other")),
    ("undisclosed", _("Prefer not to say")),
]
DISABILITY_CHOICES = [
    (Participant.Disability.YES.value, _("Yes")),
    (Participant.Disability.NO.value, _("No")),
    (Participant.Disability.NOT_STATED.value, _("Prefer not to say")),
]
PHONE = re.compile(r"^\+?[0-9 ()\-]{5,30}$")


def form_stamp(at: float | None = None) -> str:
    """Sign the moment a form was handed out, so a reply can tell how long filling it took."""
    return signing.dumps(at if at is not None else time.time(), salt=STAMP_SALT)


def min_fill_seconds() -> float:
    return float(getattr(settings, "BILIM_REGISTER_MIN_SECONDS", 3))


class RegistrationForm(forms.Form):
    """A member of the public registering for a session; every field a roster has."""

    last_name = forms.CharField(label=_("Last name"), max_length=100)
    first_name = forms.CharField(label=_("First name"), max_length=100)
    middle_name = forms.CharField(
        label=_("Middle name (patronymic)"), max_length=100, required=False
    )
    gender = forms.ChoiceField(label=_("Gender"), choices=GENDER_CHOICES, widget=forms.RadioSelect)
    birth_year = forms.IntegerField(label=_("Year of birth"), required=False)
    agency_name = forms.CharField(
        label=_("Organisation you work for"),
        max_length=255,
        help_text=_("Its full name, for example “Ministry of Justice”."),
    )
    agency_type = forms.ModelChoiceField(
        label=_("Type of organisation"),
        queryset=AgencyType.objects.exclude(name_key=fold(OTHER_AGENCY_TYPE)),
        required=False,
        empty_label=_("Don't know / other"),
    )
    position = forms.CharField(label=_("Position"), max_length=255, required=False)
    region = forms.ModelChoiceField(
        label=_("Region where you work"),
        queryset=Region.objects.all(),
        empty_label=_("Choose a region"),
    )
    email = forms.EmailField(
        label=_("Email"),
        max_length=254,
        help_text=_("The organisers write to you here about the training."),
    )
    phone = forms.CharField(label=_("Phone"), max_length=50, required=False)
    disability = forms.ChoiceField(
        label=_("Do you have a disability?"),
        choices=DISABILITY_CHOICES,
        required=False,
        initial=Participant.Disability.NOT_STATED.value,
        widget=forms.RadioSelect,
        help_text=_("So that the organisers can make the training accessible to you."),
    )
    consent = forms.BooleanField(
        label=_("I agree that my data is processed as described above."),
        error_messages={
            "required": _("Tick this box to agree: without your consent we cannot register you.")
        },
    )
    # A trap for form-filling robots: hidden from people and screen readers' tab order.
    website = forms.CharField(label=_("Leave this empty"), required=False)
    stamp = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("stamp", form_stamp())
        autocomplete = {
            "last_name": "family-name",
            "first_name": "given-name",
            "middle_name": "additional-name",
            "birth_year": "bday-year",
            "agency_name": "organization",
            "position": "organization-title",
            "email": "email",
            "phone": "tel",
            "website": "off",
        }
        for name, value in autocomplete.items():
            self.fields[name].widget.attrs["autocomplete"] = value
        self.fields["phone"].widget.input_type = "tel"
        self.fields["birth_year"].widget.attrs.update(
            {"inputmode": "numeric", "min": BIRTH_YEAR_MIN, "max": timezone.localdate().year}
        )
        self.fields["website"].widget.attrs.update({"tabindex": "-1"})

    # --- robots -------------------------------------------------------------------------------

    def looks_automated(self) -> bool:
        """Tell whether the reply came from a robot: the trap filled, or filled too fast.

        A missing or forged stamp counts as a robot too: the page always sends one.
        """
        if (self.data.get(HONEYPOT) or "").strip():
            return True
        try:
            handed_out = float(signing.loads(self.data.get("stamp") or "", salt=STAMP_SALT))
        except (signing.BadSignature, TypeError, ValueError):
            return True
        return time.time() - handed_out < min_fill_seconds()

    # --- fields -------------------------------------------------------------------------------

    def clean_gender(self) -> Gender:
        code = self.cleaned_data["gender"]
        try:
            return Gender.objects.get(code=code)
        except Gender.DoesNotExist as exc:
            raise ValidationError(_("Choose one of the options."), code="invalid") from exc

    def clean_birth_year(self) -> int | None:
        year = self.cleaned_data.get("birth_year")
        if year is None:
            return None
        latest = timezone.localdate().year
        if not BIRTH_YEAR_MIN <= year <= latest:
            raise ValidationError(
                _("Write the year you were born, from %(first)s to %(last)s.")
                % {"first": BIRTH_YEAR_MIN, "last": latest},
                code="birth_year",
            )
        return year

    def clean_phone(self) -> str:
        phone = " ".join(self.cleaned_data.get("phone", "").split())
        if phone and not PHONE.match(phone):
            raise ValidationError(
                _("Write the number with digits only, for example +996 555 123 456."),
                code="phone",
            )
        return phone

    def clean_disability(self) -> str:
        return self.cleaned_data.get("disability") or Participant.Disability.NOT_STATED.value
