"""The Celery application: background work of the yearly campaign (rendering, e-mails, titres in bulk).

Its settings are the `CELERY_*` values of `config/settings.py`. Without `CELERY_BROKER_URL` the tasks run
in-process (eager), so that the embedded default needs no Redis; progress is tracked in the database
(`conventions.Traitement`), never in a result backend.
"""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Each app's tasks.py (conventions, facturation) is found by name: conventions never imports facturation.
app.autodiscover_tasks()

# Run by a single `celery -A config beat` process (never two: each would send the reminders batch).
app.conf.beat_schedule = {
    "relancer-les-conventions-non-retournees": {
        "task": "conventions.tasks.relancer_retours",
        "schedule": crontab(hour=7, minute=30),
    },
}
