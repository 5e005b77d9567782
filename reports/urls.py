"""The statistics pages and their downloads."""

from reports import downloads, views, views_audit

app_name = "reports"

urlpatterns = [*views.urlpatterns, *downloads.urlpatterns, *views_audit.urlpatterns]
