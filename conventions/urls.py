from django.urls import path

from . import views

app_name = "conventions"

urlpatterns = [
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/pdf/", views.pdf, name="pdf"),
    path("<int:pk>/ecoles/", views.choix_ecoles, name="choix_ecoles"),
    path("<int:pk>/convention-signee/", views.exemplaire_signe, name="exemplaire_signe"),
    path("<int:pk>/convention-signee/pdf/", views.exemplaire_signe_pdf, name="exemplaire_signe_pdf"),
    path("academies/<str:code>/logo/", views.logo_academie, name="logo_academie"),
]
