"""Who may see and change what: a person's roles, a view mixin, the sessions each role reaches."""

from collections.abc import Iterable

from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from trainings import roles
from trainings.models import Session

# Broadest first: a person in several groups lands on the start page of the broadest one.
ROLE_ORDER = (roles.ADMINISTRATOR, roles.ORGANISER, roles.ME_OFFICER, roles.TRAINER)
# The roles that read every session.
_READ_ALL = frozenset({roles.ADMINISTRATOR, roles.ORGANISER, roles.ME_OFFICER})
# The roles that change every session.
_CHANGE_ALL = frozenset({roles.ADMINISTRATOR, roles.ORGANISER})


def roles_of(user) -> frozenset[str]:
    """Return every role the user holds (superusers are administrators); cached on the user."""
    if user is None or not user.is_authenticated or not user.is_active:
        return frozenset()
    cached = getattr(user, "_bilim_roles", None)
    if cached is None:
        names = set(user.groups.filter(name__in=ROLE_ORDER).values_list("name", flat=True))
        if user.is_superuser:
            names.add(roles.ADMINISTRATOR)
        cached = frozenset(names)
        user._bilim_roles = cached
    return cached


def admin_has_permission(request) -> bool:
    """Admit to the Django admin active staff who read every session (not trainers alone).

    The admin's lists are not narrowed to one trainer's sessions; trainers work on their own
    pages (grids, results upload), which are.
    """
    user = request.user
    return bool(user.is_active and user.is_staff and roles_of(user) & _READ_ALL)


def role_of(user) -> str | None:
    """Return the user's broadest role, or None for anonymous users and users without one."""
    held = roles_of(user)
    return next((role for role in ROLE_ORDER if role in held), None)


def sessions_for(user) -> QuerySet[Session]:
    """Return the sessions the user may see: trainers only their own, readers of all every one."""
    held = roles_of(user)
    if held & _READ_ALL:
        return Session.objects.all()
    if roles.TRAINER in held:
        return Session.objects.filter(trainers=user)
    return Session.objects.none()


def can_change_session(user, session: Session) -> bool:
    """Say whether the user may change the session: organisers, administrators, its trainers."""
    held = roles_of(user)
    if held & _CHANGE_ALL:
        return True
    if roles.TRAINER in held:
        return session.trainers.filter(pk=user.pk).exists()
    return False


class RoleRequiredMixin(LoginRequiredMixin):
    """Let in users holding one of ``roles``; send anonymous users to sign in, refuse the rest."""

    roles: Iterable[str] = ()

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not roles_of(request.user) & set(self.roles):
            # Signed in without the role: LoginRequiredMixin answers 403 rather than a login loop.
            return self.handle_no_permission()
        return super().dispatch(request, *args, **kwargs)


# Every role: pages that read only (M&E officers read everything).
ALL_ROLES = (roles.ORGANISER, roles.TRAINER, roles.ME_OFFICER, roles.ADMINISTRATOR)
# The roles that plan sessions and register participants.
PLANNERS = (roles.ORGANISER, roles.ADMINISTRATOR)
# The roles that see participants' data across sessions.
READERS = (roles.ORGANISER, roles.ME_OFFICER, roles.ADMINISTRATOR)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class SessionAccessMixin(RoleRequiredMixin):
    """Load ``self.session`` from the URL's ``code`` among the sessions the user may see.

    Another trainer's session answers 404 (its existence is not confirmed). A view that changes
    the session (``changes = True``, or any POST) also needs ``can_change_session``; without it
    the answer is 403, so M&E officers read and never write.
    """

    roles = ALL_ROLES
    changes = False
    session_queryset_related: tuple[str, ...] = ("course", "region")

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated or not roles_of(request.user) & set(self.roles):
            return self.handle_no_permission()
        self.session = get_object_or_404(
            sessions_for(request.user).select_related(*self.session_queryset_related),
            code=kwargs["code"],
        )
        writes = self.changes or request.method not in SAFE_METHODS
        self.can_change = can_change_session(request.user, self.session)
        if writes and not self.can_change:
            return self.handle_no_permission()
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        kwargs.setdefault("session", self.session)
        kwargs.setdefault("can_change", self.can_change)
        return super().get_context_data(**kwargs)


# The roles whose downloads carry participants' names and emails; M&E officers get the
# pseudonymized files (trainers reach only their own sessions' rosters, never the workbook).
NAMES_ALLOWED = PLANNERS


def may_see_names(user) -> bool:
    """Say whether the user's downloads may carry participants' names and emails."""
    return bool(roles_of(user) & set(NAMES_ALLOWED))
