from django.urls import path

from . import views

app_name = "collectivites"

urlpatterns = [
    path("connexion/", views.connexion, name="connexion"),
    path("deconnexion/", views.deconnexion, name="deconnexion"),
    path("mot-de-passe-oublie/", views.mot_de_passe_oublie, name="mot_de_passe_oublie"),
    path("mot-de-passe-oublie/envoye/", views.mot_de_passe_envoye, name="mot_de_passe_envoye"),
    path("mot-de-passe/<uidb64>/<token>/", views.mot_de_passe_nouveau, name="mot_de_passe_nouveau"),
    path("mot-de-passe/enregistre/", views.mot_de_passe_termine, name="mot_de_passe_termine"),
    path("invitation/<str:token>/", views.invitation, name="invitation"),
    path("contacts/", views.contacts, name="contacts"),
    path("contacts/ajouter/", views.contact_ajouter, name="contact_ajouter"),
    path("contacts/<int:pk>/modifier/", views.contact_modifier, name="contact_modifier"),
    path("contacts/<int:pk>/supprimer/", views.contact_supprimer, name="contact_supprimer"),
    path("comptes/", views.comptes, name="comptes"),
    path("comptes/inviter/", views.inviter, name="inviter"),
    path("comptes/invitations/<int:pk>/retirer/", views.invitation_retirer, name="invitation_retirer"),
    path("comptes/invitations/<int:pk>/renvoyer/", views.invitation_renvoyer, name="invitation_renvoyer"),
]
