"""The four roles as auth groups, and the model permissions each one holds."""

from django.apps import apps as global_apps

ORGANISER = "Organiser"
TRAINER = "Trainer"
ME_OFFICER = "M&E officer"
ADMINISTRATOR = "Administrator"

_RECORDS = {
    "participants": ["gender", "agencytype", "region", "agency", "participant"],
    "trainings": ["course", "session", "trainingday", "enrolment", "attendance"],
    "certificates": ["certificate"],
    "reports": ["programme", "target"],
}

# role -> {(app, model): actions}
_GRANTS: dict[str, dict[tuple[str, str], tuple[str, ...]]] = {
    ORGANISER: {
        **{("participants", m): ("view",) for m in ("gender", "agencytype", "region")},
        ("participants", "agency"): ("view", "add", "change"),
        ("participants", "participant"): ("view", "add", "change"),
        ("participants", "participantmerge"): ("view",),
        **{("trainings", m): ("view", "add", "change") for m in _RECORDS["trainings"]},
        ("certificates", "certificate"): ("view", "add", "change"),
        **{("reports", m): ("view", "add", "change") for m in _RECORDS["reports"]},
    },
    TRAINER: {
        **{(app, m): ("view",) for app, models in _RECORDS.items() for m in models},
        ("trainings", "enrolment"): ("view", "change"),
        ("trainings", "attendance"): ("view", "add", "change"),
    },
    ME_OFFICER: {
        **{(app, m): ("view",) for app, models in _RECORDS.items() for m in models},
        ("participants", "participantmerge"): ("view",),
    },
    ADMINISTRATOR: {
        (app, m): ("view", "add", "change", "delete")
        for app, models in _RECORDS.items()
        for m in models
    }
    | {("participants", "participantmerge"): ("view",)},
}


def roles_sync(*args, apps=global_apps, **kwargs) -> None:
    """Create the four role groups and give each its permissions; safe to run again."""
    try:
        Group = apps.get_model("auth", "Group")
        Permission = apps.get_model("auth", "Permission")
    except LookupError:
        return
    for role, grants in _GRANTS.items():
        group, _ = Group.objects.get_or_create(name=role)
        codenames = {
            f"{action}_{model}" for (_, model), actions in grants.items() for action in actions
        }
        perms = Permission.objects.filter(
            content_type__app_label__in={app for app, _ in grants},
            codename__in=codenames,
        )
        group.permissions.set(perms)
