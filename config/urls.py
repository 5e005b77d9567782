"""Bilim's URLs."""

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from config import views

admin.site.site_header = "Bilim"
admin.site.site_title = "Bilim"
admin.site.index_title = "Training and participant registry"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("home/organiser/", views.OrganiserHomeView.as_view(), name="home_organiser"),
    path("home/trainer/", views.TrainerHomeView.as_view(), name="home_trainer"),
    path("home/me/", views.MEHomeView.as_view(), name="home_me"),
    path("home/administrator/", views.AdministratorHomeView.as_view(), name="home_administrator"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("certificates/", include("certificates.urls")),
]

# Uploaded files (logos, signatures, scans) in development; production serves MEDIA_ROOT itself.
urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
