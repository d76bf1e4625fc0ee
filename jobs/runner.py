"""Running background work: queuing on the Celery workers, and each item run once, whatever the redeliveries.

Tasks are queued by their import path, so that the app which starts a job needs not import the app whose task does
the work. Without a broker the tasks run right here, one after the other (CELERY_TASK_ALWAYS_EAGER).

An item is claimed with `SELECT … FOR UPDATE SKIP LOCKED` for the whole of its work: two workers never work on the
same item at once, and an item already done or failed is not run again by a second delivery of its message.
"""

import logging
from collections.abc import Callable, Iterable

from celery.utils.imports import symbol_by_name
from django.core.exceptions import ValidationError
from django.db import transaction

from .models import Item

logger = logging.getLogger(__name__)


def mettre_en_file(tache: str, ids: Iterable[int]) -> int:
    """Queues the task at import path `tache` once per id; returns how many. Queuing an id twice is harmless."""
    task = symbol_by_name(tache)
    ids = list(ids)
    for pk in ids:
        task.delay(pk)
    return len(ids)


def reserver(queryset, pk: int):
    """The row `pk` of `queryset`, locked until the end of the transaction; None if another worker holds it."""
    return queryset.select_for_update(skip_locked=True, of=("self",)).filter(pk=pk).first()


def raison_echec(exc: Exception, erreurs_metier: tuple = ()) -> str:
    """Why an item failed, for the agent: the message of an expected error, the kind of an unexpected one."""
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    if isinstance(exc, erreurs_metier):
        return str(exc)
    return f"Erreur inattendue ({type(exc).__name__}) : {exc}"


def executer_element(queryset, element_id: int, action: Callable[[Item], str], erreurs_metier: tuple = ()):
    """Runs `action` on the item `element_id` of `queryset` if it is still to do and no other worker holds it, and
    records what it did (its return value) or why it failed. Returns the item, or None when there was nothing to do.

    `erreurs_metier` are the exceptions whose message is written for the agents; any other is logged too.
    """
    with transaction.atomic():
        element = reserver(queryset.filter(etat=Item.Etat.A_FAIRE), element_id)
        if element is None:
            return None
        element.tentatives += 1
        try:
            with transaction.atomic():
                element.message = action(element)
        except Exception as exc:
            # One item's failure must not stop the job: the agent sees the reason and retries that item.
            if not isinstance(exc, erreurs_metier):
                logger.exception("Échec de l'élément %s (%s)", element.pk, type(element).__name__)
            element.etat = Item.Etat.ECHEC
            element.message = raison_echec(exc, erreurs_metier)
        else:
            element.etat = Item.Etat.FAIT
        element.save()
    return element
