"""Celery tasks of the collectivites app: the reference-data imports started from the admin (see `imports_fichiers`)."""

from celery import shared_task

from . import imports_fichiers


@shared_task
def executer_import(import_id: int) -> None:
    imports_fichiers.executer(import_id)
