from django.urls import path

from . import views

app_name = "facturation"

urlpatterns = [
    path("", views.tableau_de_bord, name="tableau_de_bord"),
    path("titres/", views.titres, name="titres"),
    path("titres/<int:pk>/pdf/", views.titre_pdf, name="titre_pdf"),
]
