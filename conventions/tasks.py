"""The campaign's Celery tasks: one task per item of a batch (`Traitement`), each safe to run twice or concurrently.

Two guards make them idempotent, whatever the number of workers and however often a message is delivered:
- the item's row is claimed with `SELECT … FOR UPDATE SKIP LOCKED` for the whole work, so two workers never work on
  the same item at once, and an item already done is not done again;
- the work itself checks the convention's state under its row lock (a convention already sent is not rendered
  again) and the e-mails are recorded under a unique key (`notifications`).
"""

import logging
from collections.abc import Callable

from celery import shared_task
from celery.utils.time import get_exponential_backoff_interval
from django.conf import settings
from django.utils import timezone

from jobs import runner

from . import notifications
from .annees import PreparationImpossible, reconduire_convention
from .documents import DOCUMENT_RELATED
from .models import Convention, ElementTraitement, Traitement
from .services import TransitionInterdite

logger = logging.getLogger(__name__)

# A database restarted or out of reach (jobs.runner re-raises it): the item's task is tried again, a growing delay
# apart, up to ~10 minutes.
ERREURS_BASE = runner.ERREURS_BASE
TACHE_ELEMENT = {"autoretry_for": ERREURS_BASE, "retry_backoff": 2, "retry_backoff_max": 60, "max_retries": 12}

# Errors whose message is written for the agents; any other one is reported with its kind.
ERREURS_METIER = (TransitionInterdite, PreparationImpossible, notifications.NotificationImpossible)


def raison_echec(exc: Exception) -> str:
    """Why a convention's action failed, for the agent (jobs.runner.raison_echec with the campaign's errors)."""
    return runner.raison_echec(exc, ERREURS_METIER)


def executer_element(
    element_id: int, action: Callable[[ElementTraitement], str], erreurs_metier: tuple = ()
) -> ElementTraitement | None:
    """Runs `action` on one item of a batch still to do, unless another worker holds it (jobs.runner); the batch
    ends with its last item. `erreurs_metier` are the caller's exceptions whose message is written for the agents.
    Returns the item, or None when there was nothing to do here."""
    elements = ElementTraitement.objects.select_related("traitement__lance_par", "traitement__annee", "convention")
    element = runner.executer_element(elements, element_id, action, ERREURS_METIER + tuple(erreurs_metier))
    if element is not None:
        _terminer_si_fini(element.traitement_id)
    return element


def _terminer_si_fini(traitement_id: int) -> None:
    # Read after this item's commit: the last worker to finish sees no item left to do.
    if not ElementTraitement.objects.filter(traitement_id=traitement_id, etat=ElementTraitement.Etat.A_FAIRE).exists():
        Traitement.objects.filter(pk=traitement_id, termine_le__isnull=True).update(termine_le=timezone.now())


def _convention_verrouillee(element: ElementTraitement) -> Convention:
    # Another batch may hold the same convention: its row lock puts the two one after the other.
    return (
        Convention.objects.select_for_update(of=("self",))
        .select_related(*DOCUMENT_RELATED)
        .order_by()
        .get(pk=element.convention_id)
    )


def _preparer(element: ElementTraitement) -> str:
    reconduction = reconduire_convention(
        element.convention, element.traitement.annee, user=element.traitement.lance_par
    )
    element.detail = reconduction.as_dict()
    return reconduction.resume()


def _envoyer(element: ElementTraitement) -> str:
    """Freezes and sends the PDF of a draft, then tells the collectivité: each step only if not done yet."""
    from .services import envoyer_pour_signature

    convention = _convention_verrouillee(element)
    faits = []
    if convention.etat == Convention.Etat.BROUILLON:
        # Updates `convention` in place (state, PDF, SHA-256, date): no need to read it again.
        envoyer_pour_signature(convention, user=element.traitement.lance_par, verrouillee=True)
        faits.append("PDF figé et envoyé pour signature")
    elif convention.etat == Convention.Etat.ENVOYEE:
        faits.append("déjà envoyée (PDF inchangé)")
    else:
        return f"Rien à envoyer : la convention est à l'état « {convention.get_etat_display()} »."
    faits.append(compte_rendu_email(notifications.notifier_convention_prete(convention), "e-mail"))
    texte = " ; ".join(faits)
    return texte[0].upper() + texte[1:] + "."


def compte_rendu_email(notification, nature: str, feminin: bool = False) -> str:
    e = "e" if feminin else ""
    if notification is None:
        return f"{nature} déjà envoyé{e}"
    if notification.etat == notification.Etat.ENVOYEE:
        return f"{nature} envoyé{e} à {notification.destinataires}"
    if notification.etat == notification.Etat.ECHEC:
        return f"{nature} à {notification.destinataires} non parti{e} : {notification.erreur}"
    return f"{nature} à {notification.destinataires} en cours d'envoi"


def _relancer(element: ElementTraitement) -> str:
    convention = _convention_verrouillee(element)
    if convention.etat != Convention.Etat.ENVOYEE:
        return f"Pas de relance : la convention est à l'état « {convention.get_etat_display()} »."
    texte = compte_rendu_email(notifications.notifier_relance(convention), "relance", feminin=True)
    return texte[0].upper() + texte[1:] + "."


@shared_task(**TACHE_ELEMENT)
def preparer_convention(element_id: int) -> None:
    executer_element(element_id, _preparer)


@shared_task(**TACHE_ELEMENT)
def envoyer_convention(element_id: int) -> None:
    executer_element(element_id, _envoyer)


@shared_task(**TACHE_ELEMENT)
def relancer_convention(element_id: int) -> None:
    executer_element(element_id, _relancer)


@shared_task(
    bind=True,
    soft_time_limit=settings.EMAIL_LIMITE_S,
    time_limit=settings.EMAIL_LIMITE_S + 30,
    autoretry_for=ERREURS_BASE,
    retry_backoff=2,
    max_retries=12,
)
def envoyer_email(self, notification_id: int) -> str:
    """One e-mail of the campaign: tried EMAIL_ESSAIS times, a growing delay apart, while the server refuses for a
    while or does not answer; each attempt and the last reason are on the record (conventions.notifications)."""
    dernier_essai = self.request.retries + 1 >= settings.EMAIL_ESSAIS
    etat = notifications.envoyer(notification_id, dernier_essai=dernier_essai)
    if etat == notifications.Notification.Etat.A_ENVOYER:
        delai = get_exponential_backoff_interval(
            settings.EMAIL_DELAI_BASE_S, self.request.retries, maximum=3600, full_jitter=False
        )
        raise self.retry(countdown=delai, max_retries=settings.EMAIL_ESSAIS)
    return etat


@shared_task
def reprendre_en_attente() -> int:
    """Every few minutes (Celery beat): work whose message was lost is queued again (campaign and e-mails)."""
    from .campagne import reprendre_en_attente as reprendre_elements

    # Messages still waiting in the queue may be the ones that seem lost: only an empty queue proves them lost.
    if runner.longueur_file() != 0:
        return 0
    return reprendre_elements() + notifications.reprendre_en_attente()


@shared_task
def relancer_retours() -> list[int]:
    """Daily (Celery beat or cron): a reminder batch for each year with conventions not returned in time."""
    from .campagne import lancer_relances

    return [traitement.pk for traitement in lancer_relances()]
