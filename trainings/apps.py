from django.apps import AppConfig


class TrainingsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "trainings"
    verbose_name = "Trainings"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from trainings.roles import roles_sync

        post_migrate.connect(roles_sync, sender=self)
