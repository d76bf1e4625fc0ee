"""Portal accounts by invitation, and the export of the Article 2.7 contacts.

An invitation carries a random token; only its SHA-256 is stored. Accepting it creates the account with the
collectivité and the role the rectorat chose, once, before it expires.
"""

import csv
import datetime
import hashlib
import io
import secrets

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from documents.formats import cellule_sure

from .destinataires import Correspondant, correspondant
from .models import Invitation, User

# Cells a spreadsheet would run as a formula (OWASP "CSV injection").


class InvitationInvalide(Exception):
    """An invitation that cannot be sent or accepted. The message is for users."""


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def compte_existe(email: str) -> bool:
    return User.objects.filter(email__iexact=email.strip()).exists()


@transaction.atomic
def inviter(invitation: Invitation, par: User) -> Invitation:
    """Saves this new invitation with a fresh link and sends it by e-mail (no invitation without its e-mail)."""
    invitation.email = invitation.email.strip().lower()
    if compte_existe(invitation.email):
        raise InvitationInvalide(f"Un compte existe déjà pour l'adresse {invitation.email}.")
    invitation.invitee_par = par
    token = _nouveau_lien(invitation)
    invitation.save()
    _envoyer(invitation, token)
    return invitation


@transaction.atomic
def renouveler(invitation: Invitation, par: User) -> Invitation:
    """A new link (the previous one stops working) with a new expiry date, sent again."""
    if invitation.est_acceptee:
        raise InvitationInvalide(f"L'invitation de {invitation.email} a déjà été acceptée.")
    invitation.invitee_par = par
    token = _nouveau_lien(invitation)
    invitation.save()
    _envoyer(invitation, token)
    return invitation


# The roles a representative may give from the portal; only the rectorat names another representative (who signs and
# pays for the collectivité).
ROLES_INVITES_PAR_LE_REPRESENTANT = (User.Role.REFERENT, User.Role.CONTRIBUTEUR)


def inviter_un_collegue(invitation: Invitation, par: User) -> Invitation:
    """A representative invites a colleague of their own collectivité, whatever the form said, as référent or
    contributeur."""
    if par.collectivite_id is None or par.role != User.Role.REPRESENTANT:
        raise InvitationInvalide("Seul le représentant de la collectivité invite des personnes sur l'espace.")
    if invitation.role not in ROLES_INVITES_PAR_LE_REPRESENTANT:
        raise InvitationInvalide("Depuis l'espace, on invite un référent ville ou un contributeur.")
    invitation.collectivite_id = par.collectivite_id
    return inviter(invitation, par)


def inviter_contact(contact, par: User) -> Invitation:
    """A contact of Article 2.7 becomes an account: invited with its role, its name and its address."""
    if Invitation.objects.en_attente().filter(email__iexact=contact.email.strip()).exists():
        raise InvitationInvalide(f"Une invitation est déjà en attente pour l'adresse {contact.email}.")
    invitation = Invitation(
        collectivite_id=contact.collectivite_id,
        role=contact.role,
        prenom=contact.prenom,
        nom=contact.nom,
        email=contact.email,
    )
    return inviter(invitation, par)


@transaction.atomic
def retirer(invitation: Invitation) -> None:
    """Withdraws an invitation not yet accepted: it is deleted, and its link no longer opens anything."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.est_acceptee:
        raise InvitationInvalide(f"L'invitation de {invitation.email} a déjà été acceptée : son compte existe.")
    invitation.delete()


def _nouveau_lien(invitation: Invitation) -> str:
    token = secrets.token_urlsafe(32)
    invitation.token_sha256 = _hash(token)
    invitation.creee_le = timezone.now()
    invitation.expire_le = invitation.creee_le + datetime.timedelta(days=settings.INVITATION_VALIDITE_JOURS)
    return token


def lien_invitation(token: str) -> str:
    return settings.SITE_URL + reverse("collectivites:invitation", args=[token])


def correspondant_invitation(invitation: Invitation) -> Correspondant:
    """Who invites, and so who is answered: a representative inviting a colleague, else the académie's service."""
    par = invitation.invitee_par
    if par is not None and par.collectivite_id:
        return Correspondant(f"{par.get_full_name() or par.email} ({invitation.collectivite})", par.email)
    return correspondant(invitation.collectivite)


def _envoyer(invitation: Invitation, token: str) -> None:
    repondre_a = correspondant_invitation(invitation)
    context = {
        "invitation": invitation,
        "lien": lien_invitation(token),
        "site_url": settings.SITE_URL,
        "invitant": repondre_a.nom,
        "correspondant": repondre_a,
    }
    subject = render_to_string("collectivites/email/invitation_sujet.txt", context).strip()
    body = render_to_string("collectivites/email/invitation.txt", context)
    # The invitation goes to the person invited, whatever the collectivité's contact rule: it opens their account.
    EmailMessage(subject, body, to=[invitation.email], reply_to=repondre_a.reply_to).send()


def invitation_pour(token: str) -> Invitation | None:
    return Invitation.objects.select_related("collectivite").filter(token_sha256=_hash(token)).first()


def verifier(invitation: Invitation | None) -> None:
    """Raises InvitationInvalide with the reason a person can read, when this link cannot be used."""
    if invitation is None:
        raise InvitationInvalide("Ce lien d'invitation n'est pas valide. Vérifiez qu'il a été copié en entier.")
    if invitation.est_acceptee:
        raise InvitationInvalide(
            "Ce lien d'invitation a déjà été utilisé. Connectez-vous avec votre adresse e-mail et votre mot de passe."
        )
    if invitation.est_expiree:
        raise InvitationInvalide(
            f"Ce lien d'invitation a expiré le {timezone.localtime(invitation.expire_le):%d/%m/%Y à %H:%M}. "
            "Demandez une nouvelle invitation à la personne qui vous a invité, ou au rectorat."
        )


@transaction.atomic
def accepter(invitation: Invitation, password: str) -> User:
    """Creates the portal account the invitation describes; the link is then used up."""
    # Locked so that two clicks on the same link cannot create two accounts.
    invitation = Invitation.objects.select_for_update().select_related("collectivite").get(pk=invitation.pk)
    verifier(invitation)
    if compte_existe(invitation.email):
        raise InvitationInvalide(
            f"Un compte existe déjà pour l'adresse {invitation.email}. Connectez-vous, ou utilisez « Mot de passe "
            "oublié »."
        )
    user = User.objects.create_user(
        email=invitation.email,
        password=password,
        first_name=invitation.prenom,
        last_name=invitation.nom,
        collectivite=invitation.collectivite,
        role=invitation.role,
    )
    invitation.acceptee_le = timezone.now()
    invitation.compte = user
    invitation.save(update_fields=["acceptee_le", "compte"])
    return user


CONTACTS_COLONNES = [
    "Collectivité",
    "SIREN",
    "Département",
    "Rôle",
    "Prénom",
    "Nom",
    "Adresse e-mail",
    "Fonction",
]


def contacts_csv(contacts) -> bytes:
    """The contacts for opening ENT accounts: `;`, UTF-8 with BOM, no cell a spreadsheet would run."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(CONTACTS_COLONNES)
    for contact in contacts.select_related("collectivite").order_by("collectivite__nom", "role", "nom"):
        writer.writerow(
            cellule_sure(value)
            for value in (
                contact.collectivite.nom,
                contact.collectivite.siren,
                contact.collectivite.departement,
                contact.get_role_display(),
                contact.prenom,
                contact.nom,
                contact.email,
                contact.fonction,
            )
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
