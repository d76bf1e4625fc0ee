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
from django.utils import timezone

from jobs import runner

from . import notifications
from .annees import PreparationImpossible, reconduire_convention
from .documents import DOCUMENT_RELATED
from .models import Convention, ElementTraitement, Traitement
from .services import TransitionInterdite

logger = logging.getLogger(__name__)

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
        envoyer_pour_signature(convention, user=element.traitement.lance_par)
        faits.append("PDF figé et envoyé pour signature")
    elif convention.etat == Convention.Etat.ENVOYEE:
        faits.append("déjà envoyée (PDF inchangé)")
    else:
        return f"Rien à envoyer : la convention est à l'état « {convention.get_etat_display()} »."
    notification = notifications.notifier_convention_prete(convention)
    faits.append(f"e-mail envoyé à {notification.destinataires}" if notification else "e-mail déjà envoyé")
    texte = " ; ".join(faits)
    return texte[0].upper() + texte[1:] + "."


def _relancer(element: ElementTraitement) -> str:
    convention = _convention_verrouillee(element)
    if convention.etat != Convention.Etat.ENVOYEE:
        return f"Pas de relance : la convention est à l'état « {convention.get_etat_display()} »."
    notification = notifications.notifier_relance(convention)
    return f"Relance envoyée à {notification.destinataires}." if notification else "Relance déjà envoyée."


@shared_task
def preparer_convention(element_id: int) -> None:
    executer_element(element_id, _preparer)


@shared_task
def envoyer_convention(element_id: int) -> None:
    executer_element(element_id, _envoyer)


@shared_task
def relancer_convention(element_id: int) -> None:
    executer_element(element_id, _relancer)


@shared_task
def relancer_retours() -> list[int]:
    """Daily (Celery beat or cron): a reminder batch for each year with conventions not returned in time."""
    from .campaign import lancer_relances

    return [traitement.pk for traitement in lancer_relances()]
