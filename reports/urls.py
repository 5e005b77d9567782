"""The statistics pages and their downloads."""

from reports import downloads, views

app_name = "reports"

urlpatterns = [*views.urlpatterns, *downloads.urlpatterns]
