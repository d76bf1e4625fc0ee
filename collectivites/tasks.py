"""Celery tasks of the collectivites app: the reference-data imports started from the admin (see `imports`)."""

from celery import shared_task

from . import imports


@shared_task
def executer_import(import_id: int) -> None:
    imports.executer(import_id)
