"""The Celery application: background work of the yearly campaign (rendering, e-mails, titres in bulk).

Its settings are the `CELERY_*` values of `config/settings.py`. Without `CELERY_BROKER_URL` the tasks run
in-process (eager), so that the embedded default needs no Redis; progress is tracked in the database
(`conventions.Traitement`), never in a result backend.
"""

import os

from celery import Celery
from celery.schedules import crontab
from celery.signals import task_postrun, task_prerun, worker_process_init
from django.db import close_old_connections

from documents.gel import Gel
from exploitation.worker import Battement

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Each app's tasks.py (conventions, facturation) is found by name: conventions never imports facturation.
app.autodiscover_tasks()

# Each worker writes its heartbeat, which /sante/ reads (exploitation/worker.py).
app.steps["worker"].add(Battement)

# Run by a single `celery -A config beat` process (never two: each would send the reminders batch).
app.conf.beat_schedule = {
    "relancer-les-conventions-non-retournees": {
        "task": "conventions.tasks.relancer_retours",
        "schedule": crontab(hour=7, minute=30),
    },
    # Every stored document read again and its SHA-256 compared, the titres' numbering checked (exploitation).
    "verifier-l-integrite": {
        "task": "exploitation.tasks.verifier_integrite_hebdomadaire",
        "schedule": crontab(day_of_week="sunday", hour=3, minute=0),
    },
    # Work whose message was lost while the broker was away (an item still to do, an e-mail never tried) is queued
    # again: the tasks are idempotent, so a second message is harmless.
    "reprendre-le-travail-en-attente": {
        "task": "conventions.tasks.reprendre_en_attente",
        "schedule": crontab(minute="*/5"),
    },
    # Personal data past its retention period erased or anonymised (exploitation, README « Données personnelles »).
    "purger-les-donnees-personnelles": {
        "task": "exploitation.tasks.purger_donnees_personnelles",
        "schedule": crontab(hour=4, minute=0),
    },
}


# A pool process's freezing of what its tasks leave alive (documents/gel.py), set when the process starts.
_gel: dict[str, Gel | None] = {"pool": None}


@worker_process_init.connect
def _processus_du_pool(**kwargs):
    _gel["pool"] = Gel()


@task_postrun.connect
def _geler_apres_chaque_tache(**kwargs):
    """Only in worker processes: a web process running tasks in-process (no broker) is left as it is."""
    if _gel["pool"] is not None:
        _gel["pool"].apres_document()


@task_prerun.connect
@task_postrun.connect
def _close_old_connections(task=None, **kwargs):
    """What Django does around each web request, around each task of a worker (CELERY_DB_REUSE_MAX keeps Celery
    from closing them all): connections past CONN_MAX_AGE, or broken, are closed; the others serve the next task.
    Never for a task run in-process (eager), which may sit inside its caller's transaction."""
    if task is not None and not getattr(task.request, "is_eager", False):
        close_old_connections()
