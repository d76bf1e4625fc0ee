from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.generic import RedirectView

from exploitation import views as exploitation_views
from portail import views, views_verification

admin.site.site_header = "ENT-école — conventions de partenariat"
admin.site.site_title = "ENT-école conventions"
admin.site.index_title = "Gestion des conventions"
# The lists need the width (1280 px screens): the app list stays on the home page and in the breadcrumbs.
admin.site.enable_nav_sidebar = False

# The collectivités' portal: every page of every app under /espace/ (the isolation test walks this prefix).
PORTAIL_PREFIX = "espace/"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", login_not_required(RedirectView.as_view(pattern_name="portail:tableau_de_bord")), name="accueil"),
    path(PORTAIL_PREFIX, include("portail.urls")),
    # Public, outside the portal: anyone holding a document checks it there (the QR codes of the PDFs lead there).
    path("verifier/", views_verification.verifier, name="verification"),
    path(".well-known/security.txt", views.security_txt, name="security_txt"),
    # For the load balancer and the monitoring (README, « Exploitation »): public, JSON, no secret.
    path("sante/", exploitation_views.sante, name="sante"),
]
# Media (frozen PDFs, signed copies, titres) are never served by URL, not even with DEBUG: each download goes
# through a view that checks who asks (the portal's scoped querysets, the admin's permissions).
