"""Template helpers for the pages: the reader's role, for navigation."""

from django import template
from django.utils.translation import gettext_lazy as _

from trainings import roles
from trainings.permissions import role_of

register = template.Library()

_SLUGS = {
    roles.ORGANISER: "organiser",
    roles.TRAINER: "trainer",
    roles.ME_OFFICER: "me",
    roles.ADMINISTRATOR: "administrator",
}
_NAMES = {
    roles.ORGANISER: _("Organiser"),
    roles.TRAINER: _("Trainer"),
    roles.ME_OFFICER: _("M&E officer"),
    roles.ADMINISTRATOR: _("Administrator"),
}


@register.filter
def role_slug(user) -> str:
    """Return the user's role as a short name for templates ("" without a role)."""
    return _SLUGS.get(role_of(user), "")


@register.filter
def role_name(user) -> str:
    """Return the user's role in the reader's language ("" without a role)."""
    role = role_of(user)
    return _NAMES[role] if role else ""
