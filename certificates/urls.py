"""Public certificate URLs: the verification page a certificate's QR code opens."""

from django.urls import path

from certificates import views

app_name = "certificates"

urlpatterns = [
    path("verify/", views.CertificateLookupView.as_view(), name="verify_lookup"),
    path("verify/<str:code>/", views.CertificateVerifyView.as_view(), name="verify"),
]
