"""Form fields shared by Bilim's forms."""

from django import forms
from django.forms.models import ModelChoiceIterator


class ListedChoiceIterator(ModelChoiceIterator):
    """Read the choices in one plain query.

    Django reads a ModelChoiceField's choices with ``QuerySet.iterator()``, which on PostgreSQL
    opens a server-side cursor (DECLARE, FETCH, CLOSE) for every list on every page. The lists
    here are short (reference lists, courses, programmes).
    """

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset.all():
            yield self.choice(obj)


class ListedModelChoiceField(forms.ModelChoiceField):
    """A ModelChoiceField for a short list, read in one plain query."""

    iterator = ListedChoiceIterator
