"""Bilim's URLs."""

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

admin.site.site_header = "Bilim"
admin.site.site_title = "Bilim"
admin.site.index_title = "Training and participant registry"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("admin/", admin.site.urls),
    path("certificates/", include("certificates.urls")),
]

# Uploaded files (logos, signatures, scans) in development; production serves MEDIA_ROOT itself.
urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
