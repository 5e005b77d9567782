"""What the security tests share: the URL walk's world and rules, and a whole-database snapshot.

The visitors, the ACCESS rules, the ``world`` fixture and ``url_for`` come from
tests/test_url_permissions.py (the one place that knows every URL); this module adds what an
attack needs on top: which URLs take a POST, and a snapshot of every row the apps hold (history
tables included), so "nothing changed" means nothing at all.
"""

from django.apps import apps
from django.contrib.auth import get_user_model
from django.urls import URLPattern

from tests.test_url_permissions import (  # noqa: F401 - re-exported for the security tests
    ACCESS,
    ADMINISTRATOR,
    ANONYMOUS,
    ME,
    NO_ROLE,
    ORGANISER,
    OTHER_TRAINER,
    OWN_TRAINER,
    VISITORS,
    named_urls,
    organisers_job,
    url_for,
    world,
)

# Larger than any database integer (a BigAutoField holds up to 2**63 - 1).
HUGE = "9999999999999999999"
# The apps whose rows a refused request must leave alone; simple-history's tables live in them.
APPS = ("participants", "trainings", "certificates", "reports", "jobs", "django_tasks_db")


def accepts_post(pattern: URLPattern) -> bool:
    """Say whether the URL's view has a POST handler (a read-only page answers POST with 405)."""
    view_class = getattr(pattern.callback, "view_class", None)
    if view_class is None:
        return True  # function views here (the language switch) take POST
    return hasattr(view_class, "post") and "post" in view_class.http_method_names


def post_urls() -> list[str]:
    """Return the names of every URL that takes a POST and has an access rule, sorted.

    A URL without a rule fails tests/test_url_permissions.py::test_every_url_has_an_access_rule.
    """
    found = named_urls().items()
    return sorted(name for name, pattern in found if accepts_post(pattern) and name in ACCESS)


def database_state() -> dict[str, list[tuple]]:
    """Return every row of the apps' tables and the users (but their last sign-in), by table."""
    state = {}
    for model in apps.get_models():
        if model._meta.app_label in APPS:
            state[model._meta.label] = list(model.objects.order_by("pk").values_list())
    user = get_user_model()
    fields = [f.attname for f in user._meta.concrete_fields if f.name != "last_login"]
    state["users"] = list(user.objects.order_by("pk").values_list(*fields))
    state["user groups"] = list(user.groups.through.objects.order_by("pk").values_list())
    return state


def changed_tables(before: dict[str, list[tuple]]) -> list[str]:
    """Return the tables whose rows differ from the snapshot ``before``."""
    after = database_state()
    return sorted(
        table for table in before.keys() | after.keys() if before.get(table) != after.get(table)
    )
