"""The pages of sessions and courses: organisers, uploads, trainers' grids, public registration."""

from trainings.views import grids, history, organiser, registration, uploads

app_name = "trainings"

# uploads first: "sessions/import/" must win over "sessions/<code>/".
urlpatterns = [
    *uploads.urlpatterns,
    *organiser.urlpatterns,
    *grids.urlpatterns,
    *registration.urlpatterns,
    *history.urlpatterns,
]
