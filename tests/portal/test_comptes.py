"""Accounts by invitation, log in by e-mail, log out, forgotten password, brute force, no admin for portal accounts."""

import datetime
import re

import pytest
from axes.models import AccessAttempt
from django.core import mail
from django.db import IntegrityError
from django.urls import reverse
from django.utils import timezone

from collectivites import services
from collectivites.models import Invitation, User
from tests.conftest import PASSWORD
from tests.factories import UserFactory

NOUVEAU = "une-phrase-de-passe-solide"


def _inviter(client, agent, collectivite, email="secretaire@commune-a.fr", role="referent"):
    client.force_login(agent)
    response = client.post(
        reverse("admin:collectivites_invitation_add"),
        {"collectivite": collectivite.pk, "role": role, "prenom": "Lucie", "nom": "Durand", "email": email},
    )
    client.logout()
    return response


def _lien(message) -> str:
    return re.search(r"https?://\S+/espace/invitation/\S+/", message.body).group(0)


def _chemin(lien: str) -> str:
    return "/" + lien.split("/", 3)[3]


def test_rectorat_invites_from_the_admin_and_the_email_holds_the_link(client, agent_gestion, collectivite_a):
    """A "Gestion ENT" agent invites a person with a role; the e-mail carries a link whose token is not stored."""
    response = _inviter(client, agent_gestion, collectivite_a, email="Secretaire@Commune-A.fr")
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.role, invitation.invitee_par) == (
        "secretaire@commune-a.fr",
        "referent",
        agent_gestion,
    )
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["secretaire@commune-a.fr"]
    assert "Commune A" in message.subject
    token = _lien(message).rstrip("/").rsplit("/", 1)[1]
    assert len(token) >= 40
    assert token not in str(Invitation.objects.values().get())


def test_invitation_of_an_existing_account_is_refused(client, agent_gestion, collectivite_a, representant_a):
    """Inviting an address that already has an account says so on the e-mail field, and sends nothing."""
    response = _inviter(client, agent_gestion, collectivite_a, email="MAIRE@commune-a.fr")
    assert response.status_code == 200
    assert "Un compte existe déjà pour l&#x27;adresse maire@commune-a.fr." in response.content.decode()
    assert not Invitation.objects.exists() and not mail.outbox


def test_accepting_creates_the_account_once(client, agent_gestion, collectivite_a):
    """The link asks for a 12-character password, creates the account with its role, logs in, and is used up."""
    _inviter(client, agent_gestion, collectivite_a)
    path = _chemin(_lien(mail.outbox[0]))
    page = client.get(path)
    assert page.status_code == 200 and "Commune A" in page.content.decode()

    trop_court = client.post(path, {"new_password1": "Court-123", "new_password2": "Court-123"})
    assert "Il doit contenir au minimum 12 caractères." in trop_court.content.decode()
    assert not User.objects.filter(email="secretaire@commune-a.fr").exists()

    response = client.post(path, {"new_password1": NOUVEAU, "new_password2": NOUVEAU})
    assert response.status_code == 302 and response["Location"] == reverse("portail:tableau_de_bord")
    user = User.objects.get(email="secretaire@commune-a.fr")
    assert (user.collectivite, user.role, user.first_name, user.is_staff) == (
        collectivite_a,
        "referent",
        "Lucie",
        False,
    )
    assert user.check_password(NOUVEAU)
    assert client.get(reverse("portail:tableau_de_bord")).status_code == 200

    client.logout()
    again = client.get(path)
    assert again.status_code == 410
    assert "déjà été utilisé" in again.content.decode()


def test_expired_link_is_refused(client, agent_gestion, collectivite_a):
    """After INVITATION_VALIDITE_JOURS the link is refused with its date, and no account can be created."""
    _inviter(client, agent_gestion, collectivite_a)
    Invitation.objects.update(expire_le=timezone.now() - datetime.timedelta(minutes=1))
    path = _chemin(_lien(mail.outbox[0]))
    response = client.post(path, {"new_password1": NOUVEAU, "new_password2": NOUVEAU})
    assert response.status_code == 410
    assert "a expiré le" in response.content.decode()
    assert not User.objects.filter(email="secretaire@commune-a.fr").exists()


def test_resending_replaces_the_link(client, agent_gestion, collectivite_a):
    """The admin's "renvoyer" action sends a new link; the old one stops working."""
    _inviter(client, agent_gestion, collectivite_a)
    ancien = _chemin(_lien(mail.outbox[0]))
    client.force_login(agent_gestion)
    client.post(
        reverse("admin:collectivites_invitation_changelist"),
        {"action": "renvoyer", "_selected_action": [Invitation.objects.get().pk]},
    )
    client.logout()
    assert len(mail.outbox) == 2
    assert client.get(ancien).status_code == 410
    assert client.get(_chemin(_lien(mail.outbox[1]))).status_code == 200


def test_login_by_email_whatever_the_case_and_logout(client, representant_a):
    """Logging in takes the e-mail in any case; logging out (POST) ends the session and says so."""
    response = client.post(reverse("collectivites:connexion"), {"username": "Maire@Commune-A.fr", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("portail:tableau_de_bord")
    assert client.get(reverse("portail:tableau_de_bord")).status_code == 200
    sortie = client.post(reverse("collectivites:deconnexion"), follow=True)
    assert sortie.redirect_chain == [(reverse("collectivites:connexion"), 302)]
    assert "Déconnexion effectuée." in sortie.content.decode()
    assert client.get(reverse("portail:tableau_de_bord")).status_code == 302


def test_wrong_password_says_so_in_french(client, representant_a):
    """A refused login explains itself and warns of the lock."""
    response = client.post(reverse("collectivites:connexion"), {"username": "maire@commune-a.fr", "password": "non"})
    assert response.status_code == 200
    assert "Adresse e-mail ou mot de passe incorrect" in response.content.decode()


def test_forgotten_password(client, representant_a, settings):
    """The reset e-mail links to SITE_URL (never the request's host); the link sets a new password once."""
    settings.SITE_URL = "https://conventions.ac-montpellier.fr"
    response = client.post(reverse("collectivites:mot_de_passe_oublie"), {"email": "MAIRE@commune-a.fr"})
    assert response["Location"] == reverse("collectivites:mot_de_passe_envoye")
    body = mail.outbox[0].body
    lien = re.search(r"https://conventions\.ac-montpellier\.fr(/espace/mot-de-passe/\S+/)", body).group(1)
    formulaire = client.get(lien, follow=True)
    assert "Choisir un nouveau mot de passe" in formulaire.content.decode()
    url = formulaire.redirect_chain[-1][0]
    done = client.post(url, {"new_password1": NOUVEAU, "new_password2": NOUVEAU})
    assert done["Location"] == reverse("collectivites:mot_de_passe_termine")
    representant_a.refresh_from_db()
    assert representant_a.check_password(NOUVEAU)
    assert "Lien expiré ou déjà utilisé" in client.get(lien, follow=True).content.decode()


def test_unknown_address_gets_the_same_answer_and_no_mail(client, db):
    """The reset form does not reveal whether an address has an account."""
    response = client.post(reverse("collectivites:mot_de_passe_oublie"), {"email": "inconnu@example.fr"})
    assert response["Location"] == reverse("collectivites:mot_de_passe_envoye")
    assert not mail.outbox


def _essai(client, password, ip="10.0.0.1"):
    return client.post(
        reverse("collectivites:connexion"),
        {"username": "maire@commune-a.fr", "password": password},
        REMOTE_ADDR=ip,
    )


def test_five_failures_lock_the_account_from_that_address_for_15_minutes(client, representant_a):
    """django-axes: after 5 failures, even the right password is refused from that address; another address
    still logs in; 15 minutes later the lock is gone."""
    for _ in range(4):
        assert _essai(client, "mauvais-mot-de-passe").status_code == 200
    assert _essai(client, "mauvais-mot-de-passe").status_code == 429
    locked = _essai(client, PASSWORD)
    assert locked.status_code == 429
    assert "Connexion bloquée pour 15 minutes" in locked.content.decode()

    assert _essai(client, PASSWORD, ip="10.0.0.2").status_code == 302
    client.logout()

    AccessAttempt.objects.update(attempt_time=timezone.now() - datetime.timedelta(minutes=16))
    assert _essai(client, PASSWORD).status_code == 302


def test_four_failures_do_not_lock(client, representant_a):
    """The limit is 5: four mistakes and then the right password logs in."""
    for _ in range(4):
        _essai(client, "mauvais-mot-de-passe")
    assert _essai(client, PASSWORD).status_code == 302


def test_portal_accounts_cannot_open_the_admin(client, representant_a):
    """A portal account is sent to the admin's login page, which refuses it."""
    client.force_login(representant_a)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))
    client.logout()
    refused = client.post(reverse("admin:login"), {"username": "maire@commune-a.fr", "password": PASSWORD})
    assert refused.status_code == 200
    assert not refused.wsgi_request.user.is_authenticated


def test_database_refuses_a_staff_account_of_a_collectivite(collectivite_a):
    """The database itself refuses a portal account with admin access."""
    with pytest.raises(IntegrityError):
        UserFactory(email="x@commune-a.fr", collectivite=collectivite_a, role="representant", is_staff=True)


def test_rectorat_staff_are_sent_to_the_admin(client, agent_gestion):
    """The portal is for collectivités: a rectorat agent gets a 403 page pointing to the admin."""
    client.force_login(agent_gestion)
    response = client.get(reverse("portail:tableau_de_bord"))
    assert response.status_code == 403
    assert "Cet espace est réservé aux comptes des collectivités" in response.content.decode()


def test_anonymous_admin_goes_to_the_admin_login(client, db):
    """The admin keeps its own login page, not the portal's."""
    response = client.get(reverse("admin:index"))
    assert response["Location"].startswith(reverse("admin:login"))


def test_inviter_service_refuses_a_taken_address(representant_a, collectivite_a):
    """The service checks again what the form checked (two agents may invite at the same moment)."""
    invitation = Invitation(
        collectivite=collectivite_a, email="maire@commune-a.fr", prenom="A", nom="B", role="referent"
    )
    with pytest.raises(services.InvitationInvalide, match="Un compte existe déjà"):
        services.inviter(invitation, par=None)


def test_admin_filters_invitations_by_state(client, agent_gestion, collectivite_a):
    """The admin's "état" filter splits invitations into en attente, acceptée and expirée, each in one list only."""
    for email in ("attente@commune-a.fr", "acceptee@commune-a.fr", "expiree@commune-a.fr"):
        _inviter(client, agent_gestion, collectivite_a, email=email)
    Invitation.objects.filter(email="acceptee@commune-a.fr").update(acceptee_le=timezone.now())
    Invitation.objects.filter(email="expiree@commune-a.fr").update(
        expire_le=timezone.now() - datetime.timedelta(minutes=1)
    )
    client.force_login(agent_gestion)
    url = reverse("admin:collectivites_invitation_changelist")
    for etat in ("attente", "acceptee", "expiree"):
        response = client.get(url, {"etat": etat})
        emails = [invitation.email for invitation in response.context["cl"].result_list]
        assert emails == [f"{etat}@commune-a.fr"]
