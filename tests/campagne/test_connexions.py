"""A worker keeps its database connection from one task to the next, and drops it when Django would."""

import time

import pytest
from celery.fixups.django import DjangoWorkerFixup
from celery.signals import task_postrun, task_prerun
from django.db import connection

from config.celery import app
from conventions.tasks import envoyer_convention

pytestmark = pytest.mark.django_db(transaction=True)


def around_a_task(is_eager: bool) -> None:
    """What a worker does around each task: Celery's own Django fixup, then the project's signal handlers."""
    fixup, task = DjangoWorkerFixup(app), envoyer_convention
    task.push_request(is_eager=is_eager)
    try:
        fixup.on_task_prerun(task)
        task_prerun.send(sender=task, task=task, task_id="t", args=(), kwargs={})
        fixup.on_task_postrun(task)
        task_postrun.send(sender=task, task=task, task_id="t", args=(), kwargs={}, retval=None, state="SUCCESS")
    finally:
        task.pop_request()


@pytest.fixture(autouse=True)
def fresh_connection():
    """A connection opened now: one left open by earlier tests may already be past CONN_MAX_AGE."""
    connection.close()


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()" if connection.vendor == "postgresql" else "SELECT 1")
        return cursor.fetchone()[0]


def test_the_connection_serves_the_next_task():
    """Without CELERY_DB_REUSE_MAX, Celery would reconnect (and authenticate) for each of a campaign's items."""
    first = backend_pid()
    around_a_task(is_eager=False)
    assert connection.connection is not None
    assert backend_pid() == first


def test_a_connection_past_conn_max_age_is_closed_after_the_task():
    """As after a web request: CONN_MAX_AGE still applies."""
    backend_pid()
    connection.close_at = time.monotonic() - 1
    around_a_task(is_eager=False)
    assert connection.connection is None


def test_a_task_run_in_process_leaves_its_caller_connection_alone():
    """An eager task may run inside its caller's transaction: nothing is closed around it."""
    backend_pid()
    connection.close_at = time.monotonic() - 1
    around_a_task(is_eager=True)
    assert connection.connection is not None
