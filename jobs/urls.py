"""URLs of background jobs (namespace ``jobs``)."""

from django.urls import path

from jobs import views

app_name = "jobs"

urlpatterns = [
    path("", views.JobListView.as_view(), name="list"),
    path("<int:pk>/", views.JobDetailView.as_view(), name="detail"),
    path("<int:pk>/progress/", views.JobProgressView.as_view(), name="progress"),
    path("<int:pk>/result/", views.JobResultView.as_view(), name="result"),
    path(
        "certificates/<str:code>/",
        views.CertificatesStartView.as_view(),
        name="certificates_start",
    ),
    path("workbook/", views.WorkbookStartView.as_view(), name="workbook_start"),
    path("csv/", views.CsvStartView.as_view(), name="csv_start"),
]
