"""The campaign's e-mails to the collectivités, through Django's e-mail backend, each recorded so none goes twice.

The `Notification` row is written in the same transaction as the sending: its unique key (convention, type, object)
is the claim, so a second worker that would send the same e-mail waits on it and then finds it sent.
"""

import datetime

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import prefetch_related_objects
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from collectivites.destinataires import SansDestinataire, destinataires_ou_refus
from documents.formats import date_longue, euros, pluriel

from .models import Convention, Notification

# The portal's page of a convention; "/espace/" (the portal's home) if the portal is not installed.
PORTAIL_CONVENTION_URL_NAMES = ("conventions:detail",)
PORTAIL_CHEMIN = "/espace/"


class NotificationImpossible(SansDestinataire):
    """The e-mail cannot be sent (no address to send it to). The message is for users."""


def lien_portail(convention: Convention) -> str:
    """The absolute address of the convention on the portal (e-mails have no request to build it from)."""
    for name in PORTAIL_CONVENTION_URL_NAMES:
        try:
            return settings.SITE_URL + reverse(name, kwargs={"pk": convention.pk})
        except NoReverseMatch:
            continue
    return settings.SITE_URL + PORTAIL_CHEMIN


def formule_appel(convention: Convention) -> str:
    """ "Madame la Maire", "Monsieur le Président": the representative as named in the convention."""
    article = "la" if convention.representant_civilite == "Madame" else "le"
    return f"{convention.representant_civilite} {article} {convention.representant_qualite}"


def _contexte(convention: Convention, **extra) -> dict:
    # The schools are counted for the text and again for the amount: read once (a no-op when sending, which has them).
    prefetch_related_objects([convention], "inscriptions")
    nb_ecoles = convention.nb_ecoles
    return {
        "convention": convention,
        "collectivite": convention.collectivite,
        "annee": convention.annee,
        "academie": convention.annee.academie,
        "formule_appel": formule_appel(convention),
        "ecoles": pluriel(nb_ecoles, "école inscrite", "écoles inscrites"),
        "participation": euros(convention.participation),
        "lien": lien_portail(convention),
        "correspondant": convention.annee.academie.correspondant,
        **extra,
    }


def _date_envoi(convention: Convention) -> datetime.date:
    return timezone.localdate(convention.date_envoi) if convention.date_envoi else timezone.localdate()


def _envoyer(convention: Convention, type_: str, cle: str, contexte: dict, gabarit: str = "") -> Notification | None:
    """Sends the e-mail of `type_` unless it was sent already; returns the record, or None when it had been sent."""
    with transaction.atomic():
        if Notification.objects.filter(convention=convention, type=type_, cle=cle).exists():
            return None
        try:
            adresses = destinataires_ou_refus(convention.collectivite)
        except SansDestinataire as exc:
            raise NotificationImpossible(str(exc)) from exc
        gabarit = gabarit or f"conventions/emails/{type_}"
        # One line (a header), keeping the non-breaking spaces of the amounts (str.split() would not).
        sujet = render_to_string(f"{gabarit}_sujet.txt", contexte).replace("\n", " ").strip()
        notification = Notification.objects.create(
            convention=convention, type=type_, cle=cle, destinataires=", ".join(adresses), sujet=sujet
        )
        message = EmailMultiAlternatives(
            sujet,
            render_to_string(f"{gabarit}.txt", contexte),
            to=adresses,
            reply_to=contexte["correspondant"].reply_to,
        )
        message.attach_alternative(render_to_string(f"{gabarit}.html", contexte), "text/html")
        message.send()
        return notification


def notifier_convention_prete(convention: Convention) -> Notification | None:
    """ "Your convention is ready": once per frozen PDF (a convention corrected and sent again is announced again)."""
    contexte = _contexte(convention, date_envoi=date_longue(_date_envoi(convention)))
    return _envoyer(convention, Notification.Type.CONVENTION_PRETE, convention.document_sha256, contexte)


def notifier_relance(convention: Convention) -> Notification | None:
    """The reminder to return the signed convention: once per frozen PDF."""
    contexte = _contexte(convention, date_envoi=date_longue(_date_envoi(convention)))
    return _envoyer(convention, Notification.Type.RELANCE_RETOUR, convention.document_sha256, contexte)


def notifier(convention: Convention, type_: str, cle: str, gabarit: str, **extra) -> Notification | None:
    """An e-mail of another app about the convention (« titre émis », from facturation), once per `cle`: the templates
    `gabarit` (.txt, .html, _sujet.txt) get the convention's usual context plus `extra`."""
    return _envoyer(convention, type_, cle, _contexte(convention, **extra), gabarit)
