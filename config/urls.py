"""Bilim's URLs."""

from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

admin.site.site_header = "Bilim"
admin.site.site_title = "Bilim"
admin.site.index_title = "Training and participant registry"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("admin/", admin.site.urls),
]
