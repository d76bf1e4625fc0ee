"""The campaign's e-mails to the collectivités, through Django's e-mail backend, each recorded so none goes twice.

The `Notification` row is written first, with the message: its unique key (convention, type, object) is the claim,
so a second worker that would record the same e-mail waits on it and then finds it. Sending is a separate step
(`envoyer`), run by a Celery task after the record is committed: a mail server that refuses for a while (4xx) or does
not answer is tried again with a growing delay, a definitive refusal (5xx) stops at once, and each failure is kept
on the record with its reason; the convention's state never depends on it. The agents resend the failed ones from
the admin. Without a broker the sending runs right away, once.
"""

import datetime
import logging
import smtplib

from celery.exceptions import SoftTimeLimitExceeded
from celery.utils.imports import symbol_by_name
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q, prefetch_related_objects
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from kombu.exceptions import OperationalError

from collectivites.destinataires import SansDestinataire, destinataires_ou_refus
from documents.formats import date_longue, euros, pluriel

from .models import Academie, Convention, Notification

# The portal's page of a convention; "/espace/" (the portal's home) if the portal is not installed.
PORTAIL_CONVENTION_URL_NAMES = ("conventions:detail",)
PORTAIL_CHEMIN = "/espace/"
# The task that sends one recorded e-mail, by path: it lives in tasks.py, which calls this module.
TACHE_ENVOI = "conventions.tasks.envoyer_email"
# What a mail server or the network may do to an e-mail; anything else is a bug and is raised.
ERREURS_SMTP = (smtplib.SMTPException, OSError, SoftTimeLimitExceeded)

logger = logging.getLogger(__name__)


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
    """Records the e-mail of `type_` unless it was recorded already, and has it sent; returns the record, or None
    when it had been recorded before."""
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
            convention=convention,
            type=type_,
            cle=cle,
            destinataires=", ".join(adresses),
            sujet=sujet,
            corps_texte=render_to_string(f"{gabarit}.txt", contexte),
            corps_html=render_to_string(f"{gabarit}.html", contexte),
        )
        programmer_envoi(notification)
        return notification


def programmer_envoi(notification: Notification) -> None:
    """Sends now without a broker (one attempt, the caller sees the outcome on the record); otherwise queues the
    sending task once the record is committed, so that the worker finds it."""
    envoyer_email = symbol_by_name(TACHE_ENVOI)
    if envoyer_email.app.conf.task_always_eager:
        envoyer(notification.pk, dernier_essai=True)
        notification.refresh_from_db()
    else:
        transaction.on_commit(lambda: publier(envoyer_email, notification.pk))


# In a worker, a broker gone for a moment is waited for (up to about two minutes) rather than the e-mail left behind;
# past that, the beat's « reprendre le travail en attente » queues it again.
ATTENTE_BROKER = {"max_retries": 15, "interval_start": 1, "interval_step": 2, "interval_max": 10}


def publier(tache, notification_id: int) -> None:
    try:
        tache.apply_async((notification_id,), retry=True, retry_policy=ATTENTE_BROKER)
    except OperationalError:
        logger.warning("File indisponible : l'e-mail %s attend la reprise du travail en attente", notification_id)


def reprendre_en_attente(age: datetime.timedelta = datetime.timedelta(minutes=2)) -> int:
    """E-mails whose sending task was lost: never tried, or last tried longer ago than any retry delay."""
    envoyer_email = symbol_by_name(TACHE_ENVOI)
    maintenant = timezone.now()
    perdues = Notification.objects.filter(etat=Notification.Etat.A_ENVOYER).filter(
        Q(tentatives=0, envoyee_le__lt=maintenant - age) | Q(envoyee_le__lt=maintenant - datetime.timedelta(hours=3))
    )
    ids = list(perdues.values_list("pk", flat=True))
    for notification_id in ids:
        publier(envoyer_email, notification_id)
    return len(ids)


def est_definitive(exc: Exception) -> bool:
    """A 5xx answer (unknown mailbox, refused sender, message refused) will be the same tomorrow: no retry."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    return isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code >= 500


def raison_smtp(exc: Exception) -> str:
    """The failure in French for the agents, with the server's own words when it gave some."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        reponses = "; ".join(f"{adresse} : {code} {_texte(msg)}" for adresse, (code, msg) in exc.recipients.items())
        return f"Destinataires refusés par le serveur de messagerie ({reponses})."
    if isinstance(exc, smtplib.SMTPResponseException):
        genre = "Refus définitif" if exc.smtp_code >= 500 else "Refus temporaire"
        return f"{genre} du serveur de messagerie : {exc.smtp_code} {_texte(exc.smtp_error)}"
    # smtplib reports a read that timed out as a disconnection, the timeout being its context.
    if isinstance(exc, TimeoutError | SoftTimeLimitExceeded) or isinstance(exc.__context__, TimeoutError):
        return "Le serveur de messagerie n'a pas répondu dans le délai (EMAIL_TIMEOUT)."
    return f"Serveur de messagerie injoignable ou connexion interrompue ({type(exc).__name__} : {exc})."


def _texte(message) -> str:
    return message.decode(errors="replace") if isinstance(message, bytes) else str(message)


def envoyer(notification_id: int, *, dernier_essai: bool) -> str:
    """One attempt at an e-mail still to send; returns its state after it (still `A_ENVOYER`: to try again).

    The row stays locked during the attempt, so two deliveries of the task never send it twice."""
    with transaction.atomic():
        notification = Notification.objects.select_for_update().filter(pk=notification_id).first()
        if notification is None or notification.etat != Notification.Etat.A_ENVOYER:
            return notification.etat if notification else Notification.Etat.ENVOYEE
        notification.tentatives += 1
        # Answers go to the académie's correspondent, whom the body names (collectivites.destinataires).
        academie = Academie.objects.get(annees__conventions=notification.convention_id)
        message = EmailMultiAlternatives(
            notification.sujet,
            notification.corps_texte,
            to=notification.destinataires.split(", "),
            reply_to=academie.correspondant.reply_to,
        )
        if notification.corps_html:
            message.attach_alternative(notification.corps_html, "text/html")
        try:
            message.send()
        except ERREURS_SMTP as exc:
            notification.erreur = raison_smtp(exc)
            definitif = dernier_essai or est_definitive(exc)
            notification.etat = Notification.Etat.ECHEC if definitif else Notification.Etat.A_ENVOYER
            logger.warning("E-mail %s, essai %s : %s", notification.pk, notification.tentatives, notification.erreur)
        else:
            notification.etat = Notification.Etat.ENVOYEE
            notification.erreur = ""
            notification.envoyee_le = timezone.now()
        notification.save(update_fields=["etat", "tentatives", "erreur", "envoyee_le"])
        return notification.etat


def renvoyer(notifications) -> int:
    """The agents' « renvoyer »: each failed e-mail of the selection is tried again (with its retries)."""
    from .campagne import exiger_file

    exiger_file()
    ids = list(notifications.en_echec().values_list("pk", flat=True))
    for notification in Notification.objects.filter(pk__in=ids):
        with transaction.atomic():
            Notification.objects.filter(pk=notification.pk).update(etat=Notification.Etat.A_ENVOYER)
            programmer_envoi(notification)
    return len(ids)


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
