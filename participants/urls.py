"""The participant directory, a person's history and merging duplicates."""

from participants import privacy_views, views

app_name = "participants"

urlpatterns = views.urlpatterns + privacy_views.urlpatterns
