"""A representative invites colleagues from the portal: référent ville or contributeur of their own collectivité, by
an e-mail with a one-time link; pending invitations are listed, sent again or withdrawn; only the representative may."""

import html
import re

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core import mail
from django.urls import reverse

from collectivites.models import Contact, Invitation, User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NOUVEAU = "une-phrase-de-passe-solide"
COLLEGUE = {"role": "contributeur", "prenom": "Lucie", "nom": "Durand", "email": "Lucie.Durand@Commune-A.fr"}


def _texte(response) -> str:
    return html.unescape(response.content.decode())


def _chemin_du_lien(message) -> str:
    return re.search(r"https?://[^/\s]+(/espace/invitation/\S+/)", message.body).group(1)


@pytest.fixture
def invitation_a(client, representant_a):
    client.force_login(representant_a)
    client.post(reverse("collectivites:inviter"), COLLEGUE)
    client.logout()
    mail.outbox.clear()
    return Invitation.objects.get()


def test_representative_invites_a_colleague_who_opens_the_account_once(client, representant_a, collectivite_a):
    """The e-mail names who invites and carries a one-time link; the account is the collectivité's, with the role
    chosen; the link used once no longer works."""
    client.force_login(representant_a)
    response = client.post(reverse("collectivites:inviter"), COLLEGUE, follow=True)
    assert response.redirect_chain == [(reverse("collectivites:comptes"), 302)]
    page = _texte(response)
    assert "L'invitation est envoyée à lucie.durand@commune-a.fr." in page
    assert "Lucie Durand" in page and "En attente" in page

    invitation = Invitation.objects.get()
    assert (invitation.collectivite, invitation.role, invitation.invitee_par) == (
        collectivite_a,
        User.Role.CONTRIBUTEUR,
        representant_a,
    )
    [message] = mail.outbox
    assert message.to == ["lucie.durand@commune-a.fr"]
    assert message.reply_to == [representant_a.email]
    assert f"{representant_a.get_full_name()} (Commune A) vous invite" in message.body
    assert "en tant que contributeur" in message.body

    client.logout()
    lien = _chemin_du_lien(message)
    response = client.post(lien, {"new_password1": NOUVEAU, "new_password2": NOUVEAU})
    assert response.status_code == 302
    compte = User.objects.get(email="lucie.durand@commune-a.fr")
    assert (compte.collectivite, compte.role) == (collectivite_a, User.Role.CONTRIBUTEUR)
    client.logout()
    assert client.get(lien).status_code == 410


def test_the_collectivite_is_always_the_representatives_own(client, representant_a, collectivite_a, collectivite_b):
    """A collectivité slipped into the form is ignored: the invitation is for the representative's collectivité."""
    client.force_login(representant_a)
    client.post(reverse("collectivites:inviter"), {**COLLEGUE, "collectivite": collectivite_b.pk})
    assert Invitation.objects.get().collectivite == collectivite_a


@pytest.mark.parametrize("role", ["representant", "", "administrateur"])
def test_only_a_referent_or_a_contributeur_is_invited_from_the_portal(client, representant_a, role):
    """Another representative (who signs and pays) is named by the rectorat, not from the portal."""
    client.force_login(representant_a)
    response = client.post(reverse("collectivites:inviter"), {**COLLEGUE, "role": role})
    assert response.status_code == 200
    assert 'name="role"' in _texte(response)
    assert not Invitation.objects.exists() and mail.outbox == []


def test_an_address_with_an_account_is_refused_on_its_field(client, representant_a):
    client.force_login(representant_a)
    response = client.post(reverse("collectivites:inviter"), {**COLLEGUE, "email": "MAIRE@commune-a.fr"})
    assert "Un compte existe déjà pour l'adresse maire@commune-a.fr." in _texte(response)
    assert not Invitation.objects.exists() and mail.outbox == []


def test_the_form_offers_two_roles_and_preselects_none(client, representant_a):
    client.force_login(representant_a)
    page = _texte(client.get(reverse("collectivites:inviter")))
    assert re.findall(r'name="role" value="(\w*)"', page) == ["referent", "contributeur"]
    assert "checked" not in page and "---------" not in page


def test_a_contact_is_invited_from_its_card(client, representant_a, collectivite_a):
    """« Inviter sur l'espace » on a contact's card fills the form with the contact; another's contact is a 404."""
    contact = Contact.objects.create(
        collectivite=collectivite_a, role=Contact.Role.REFERENT, prenom="Jeanne", nom="Martin", email="jm@commune-a.fr"
    )
    client.force_login(representant_a)
    url = f"{reverse('collectivites:inviter')}?contact={contact.pk}"
    assert url in _texte(client.get(reverse("collectivites:contacts")))
    page = _texte(client.get(url))
    assert 'value="jm@commune-a.fr"' in page and 'value="Martin"' in page
    assert re.search(r'value="referent"[^>]*checked', page)


def test_withdrawn_invitation_link_no_longer_works(client, representant_a, invitation_a):
    client.force_login(representant_a)
    url = reverse("collectivites:invitation_retirer", args=[invitation_a.pk])
    assert "ne fonctionnera plus" in _texte(client.get(url))
    assert Invitation.objects.exists()
    response = client.post(url, follow=True)
    assert "L'invitation de lucie.durand@commune-a.fr est retirée" in _texte(response)
    assert not Invitation.objects.exists()


def test_sending_again_replaces_the_link(client, representant_a, invitation_a):
    client.force_login(representant_a)
    ancien = invitation_a.token_sha256
    client.post(reverse("collectivites:invitation_renvoyer", args=[invitation_a.pk]))
    invitation_a.refresh_from_db()
    assert invitation_a.token_sha256 != ancien and len(mail.outbox) == 1


def test_an_accepted_invitation_is_no_longer_listed_nor_withdrawn(client, representant_a, invitation_a):
    """Once the account exists, the invitation is a record: the list shows the account, withdrawing it is a 404."""
    client.force_login(representant_a)
    client.post(reverse("collectivites:invitation_renvoyer", args=[invitation_a.pk]))
    lien = _chemin_du_lien(mail.outbox[0])
    client.logout()
    client.post(lien, {"new_password1": NOUVEAU, "new_password2": NOUVEAU})
    client.force_login(representant_a)
    page = _texte(client.get(reverse("collectivites:comptes")))
    assert "Aucune invitation en cours." in page and "lucie.durand@commune-a.fr" in page
    assert client.post(reverse("collectivites:invitation_retirer", args=[invitation_a.pk])).status_code == 404


# The rights table: who reaches each page of the invitations. Another collectivité's representative gets 404 on an
# object of A (and the list of their own collectivité, where A's invitation does not appear).
DROITS = {
    # visitor: (list, form, withdraw A's invitation, send A's invitation again)
    "representant_a": (200, 200, 200, 302),
    "referent_a": (403, 403, 403, 403),
    "contributeur_a": (403, 403, 403, 403),
    "representant_b": (200, 200, 404, 404),
    "agent_gestion": (403, 403, 403, 403),
    "anonyme": (302, 302, 302, 302),
}


@pytest.mark.parametrize("visiteur", DROITS)
def test_rights_table(client, request, invitation_a, visiteur):
    if visiteur != "anonyme":
        client.force_login(request.getfixturevalue(visiteur))
    pages = [
        ("get", reverse("collectivites:comptes")),
        ("get", reverse("collectivites:inviter")),
        ("get", reverse("collectivites:invitation_retirer", args=[invitation_a.pk])),
        ("post", reverse("collectivites:invitation_renvoyer", args=[invitation_a.pk])),
    ]
    obtenus = tuple(getattr(client, methode)(url).status_code for methode, url in pages)
    assert obtenus == DROITS[visiteur]
    if visiteur == "representant_b":
        assert "lucie.durand@commune-a.fr" not in _texte(client.get(reverse("collectivites:comptes")))
    # Whoever is not A's representative changes nothing: withdrawing (POST) leaves A's invitation in place.
    if visiteur != "representant_a":
        client.post(reverse("collectivites:invitation_retirer", args=[invitation_a.pk]))
        assert Invitation.objects.filter(pk=invitation_a.pk).exists()
        assert mail.outbox == []


def test_menu_entry_for_the_representative_only(client, representant_a, referent_a):
    client.force_login(representant_a)
    assert "Comptes de l'espace" in _texte(client.get(reverse("portail:tableau_de_bord")))
    client.force_login(referent_a)
    assert "Comptes de l'espace" not in _texte(client.get(reverse("portail:tableau_de_bord")))


def test_rectorat_turns_contacts_into_accounts_in_one_click(client, agent_gestion, collectivite_a):
    """The admin's contacts list: « Inviter sur l'espace » sends each contact its invitation, with its role."""
    contact = Contact.objects.create(
        collectivite=collectivite_a, role=Contact.Role.REFERENT, prenom="Jeanne", nom="Martin", email="jm@commune-a.fr"
    )
    UserFactory(email="deja@commune-a.fr", collectivite=collectivite_a, role=User.Role.CONTRIBUTEUR)
    deja = Contact.objects.create(
        collectivite=collectivite_a,
        role=Contact.Role.CONTRIBUTEUR,
        prenom="Paul",
        nom="Déjà",
        email="deja@commune-a.fr",
    )
    client.force_login(agent_gestion)
    response = client.post(
        reverse("admin:collectivites_contact_changelist"),
        {"action": "inviter_contacts", ACTION_CHECKBOX_NAME: [contact.pk, deja.pk]},
        follow=True,
    )
    page = _texte(response)
    assert "Invitation envoyée à jm@commune-a.fr." in page
    assert "Un compte existe déjà pour l'adresse deja@commune-a.fr." in page
    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.role, invitation.collectivite) == (
        "jm@commune-a.fr",
        "referent",
        collectivite_a,
    )
    assert [m.to for m in mail.outbox] == [["jm@commune-a.fr"]]


def test_invitations_are_limited_per_collectivite(client, settings, representant_a, representant_b, invitation_a):
    """Past the limit, neither a new invitation nor a new link leaves, the page says why, nothing is stored; another
    collectivité still invites."""
    settings.INVITATIONS_RATE = "2/h"
    client.force_login(representant_a)
    client.post(reverse("collectivites:invitation_renvoyer", args=[invitation_a.pk]))
    client.post(reverse("collectivites:inviter"), {**COLLEGUE, "email": "paul.martin@commune-a.fr"})
    assert len(mail.outbox) == 2 and Invitation.objects.count() == 2

    response = client.post(reverse("collectivites:inviter"), {**COLLEGUE, "email": "anne.roux@commune-a.fr"})
    assert response.status_code == 429
    assert "Trop d'invitations envoyées en peu de temps pour votre collectivité" in _texte(response)
    lien = Invitation.objects.get(pk=invitation_a.pk).token_sha256
    response = client.post(reverse("collectivites:invitation_renvoyer", args=[invitation_a.pk]), follow=True)
    assert "Trop d'invitations envoyées" in _texte(response)
    assert Invitation.objects.get(pk=invitation_a.pk).token_sha256 == lien
    assert len(mail.outbox) == 2 and Invitation.objects.count() == 2

    client.force_login(representant_b)
    client.post(reverse("collectivites:inviter"), {**COLLEGUE, "email": "anne.roux@commune-b.fr"})
    assert len(mail.outbox) == 3


def test_a_withdrawn_invitation_leaves_its_history(client, representant_a, invitation_a):
    """Deleted, its link dead, the invitation still says in its history who sent it, who withdrew it and when."""
    client.force_login(representant_a)
    client.post(reverse("collectivites:invitation_retirer", args=[invitation_a.pk]))
    assert not Invitation.objects.exists()
    envoi, retrait = Invitation.history.filter(id=invitation_a.pk).order_by("history_date")
    assert (envoi.history_type, envoi.history_user, envoi.email) == ("+", representant_a, "lucie.durand@commune-a.fr")
    assert (retrait.history_type, retrait.history_user, retrait.email) == ("-", representant_a, envoi.email)
    assert not hasattr(retrait, "token_sha256")
