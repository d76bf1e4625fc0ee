"""Running background work: queuing on the Celery workers, and each item run once, whatever the redeliveries.

Tasks are queued by their import path, so that the app which starts a job needs not import the app whose task does
the work. Without a broker the tasks run right here, one after the other (CELERY_TASK_ALWAYS_EAGER).

An item is claimed with `SELECT … FOR UPDATE SKIP LOCKED` for the whole of its work: two workers never work on the
same item at once, and an item already done or failed is not run again by a second delivery of its message.
"""

import logging
from collections.abc import Callable, Iterable

from celery import current_app
from celery.utils.imports import symbol_by_name
from django.core.exceptions import ValidationError
from django.db import InterfaceError, OperationalError, transaction
from kombu.exceptions import OperationalError as BrokerIndisponible

from .models import Item

logger = logging.getLogger(__name__)

# The database restarted or out of reach: nothing of the item was written; the item is not recorded as failed, the
# error goes up to the task, which its caller may retry (conventions.tasks.TACHE_ELEMENT).
ERREURS_BASE = (OperationalError, InterfaceError)


def mettre_en_file(tache: str, ids: Iterable[int]) -> int:
    """Queues the task at import path `tache` once per id; returns how many. Queuing an id twice is harmless."""
    task = symbol_by_name(tache)
    ids = list(ids)
    for n, pk in enumerate(ids):
        try:
            task.delay(pk)
        except BrokerIndisponible:
            # The broker went away after the caller's check: the items wait in the database, and the beat's
            # « reprendre le travail en attente » queues them again once it is back.
            logger.warning("File indisponible : %s éléments de %s restent à mettre en file", len(ids) - n, tache)
            break
    return len(ids)


def file_disponible(timeout: float = 1.0) -> bool:
    """Whether the broker answers now (always true when tasks run in-process): checked before an action that queues
    work, so that it is refused with a clear message rather than half done while Redis is away."""
    if current_app.conf.task_always_eager:
        return True
    with current_app.connection_for_write() as connection:
        try:
            connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=timeout)
        except BrokerIndisponible:
            return False
    return True


def longueur_file() -> int | None:
    """Messages waiting in the default queue; None when tasks run in-process or the broker does not answer."""
    if current_app.conf.task_always_eager:
        return None
    with current_app.connection_for_write() as connection:
        try:
            connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=1)
            return connection.default_channel.queue_declare(
                current_app.conf.task_default_queue, passive=True
            ).message_count
        except BrokerIndisponible:
            return None
        except connection.channel_errors:  # the queue does not exist yet: nothing was ever queued
            return 0


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
        except ERREURS_BASE:
            raise
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
