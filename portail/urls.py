"""/espace/: the portal's own pages (namespace `portail`), then the pages each app declares (portail.registry)."""

from django.urls import include, path

from . import views
from .registry import portal_urls

pages = [
    path("", views.tableau_de_bord, name="tableau_de_bord"),
    path("mentions-legales/", views.mentions_legales, name="mentions_legales"),
    path("donnees-personnelles/", views.donnees_personnelles, name="donnees_personnelles"),
    path("accessibilite/", views.accessibilite, name="accessibilite"),
    path("plan-du-site/", views.plan_du_site, name="plan_du_site"),
]

urlpatterns = [
    path("", include((pages, "portail"))),
    *[path(prefix, include(module)) for prefix, module in portal_urls()],
]
