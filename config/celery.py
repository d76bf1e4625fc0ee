"""The Celery application: background work of the yearly campaign (rendering, e-mails, titres in bulk).

Its settings are the `CELERY_*` values of `config/settings.py`. Without `CELERY_BROKER_URL` the tasks run
in-process (eager), so that the embedded default needs no Redis; progress is tracked in the database
(`conventions.Traitement`), never in a result backend.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Each app's tasks.py (conventions, facturation) is found by name: conventions never imports facturation.
app.autodiscover_tasks()
