from django.apps import AppConfig


class TrainingsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "trainings"
    verbose_name = "Trainings"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from trainings.roles import roles_sync

        # After every app's migrations, not only this one's: the certificates app migrates after
        # trainings, and its permissions exist only once its own post_migrate has run.
        post_migrate.connect(roles_sync, dispatch_uid="trainings.roles_sync")
