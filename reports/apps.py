from django.apps import AppConfig


class ReportsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reports"
    verbose_name = "Reports"

    def ready(self) -> None:
        from reports import cache

        # Every write to the counted tables, whatever its path, starts a new data version.
        cache.install_everywhere()
