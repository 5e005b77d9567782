"""The participant directory, a person's history and merging duplicates."""

from participants import views

app_name = "participants"

urlpatterns = views.urlpatterns
