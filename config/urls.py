"""Bilim's URLs."""

import re

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

from config import signin, two_factor, views
from trainings.permissions import admin_has_permission

admin.site.site_header = "Bilim"
admin.site.site_title = "Bilim"
admin.site.index_title = "Training and participant registry"
# Trainers alone stay out of the admin, whose lists show every session (see the function).
admin.site.has_permission = admin_has_permission

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("home/organiser/", views.OrganiserHomeView.as_view(), name="home_organiser"),
    path("home/trainer/", views.TrainerHomeView.as_view(), name="home_trainer"),
    path("home/me/", views.MEHomeView.as_view(), name="home_me"),
    path("home/administrator/", views.AdministratorHomeView.as_view(), name="home_administrator"),
    path("accounts/login/", signin.SignInView.as_view(), name="login"),
    path("accounts/login/code/", signin.SignInCodeView.as_view(), name="login_code"),
    path("accounts/two-factor/", two_factor.TwoFactorView.as_view(), name="two_factor"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # The language switch works before signing in too (the sign-in page has it).
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    # The admin's own sign-in page would skip the throttling and the code: send it to ours.
    path("admin/login/", signin.AdminSignInRedirect.as_view()),
    path("admin/", admin.site.urls),
    path("certificates/", include("certificates.urls")),
    path("jobs/", include("jobs.urls")),
    path("", include("participants.urls")),
    path("", include("reports.urls")),
    path("", include("trainings.urls")),
]

# Uploaded files (logos, signatures, scans) in development; production serves MEDIA_ROOT itself.
# Logos and signatures appear on public pages' certificates, so they need no sign-in there either.
if settings.DEBUG:
    from django.urls import re_path
    from django.views.static import serve

    urlpatterns += [
        re_path(
            rf"^{re.escape(settings.MEDIA_URL.lstrip('/'))}(?P<path>.*)$",
            login_not_required(serve),
            {"document_root": settings.MEDIA_ROOT},
        )
    ]
