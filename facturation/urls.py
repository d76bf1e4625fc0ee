from django.urls import path

from . import views

app_name = "facturation"

urlpatterns = [
    path("titres/", views.titres, name="titres"),
    path("titres/<int:pk>/pdf/", views.titre_pdf, name="titre_pdf"),
]
