"""The campaign's tests run their tasks in-process, unless a test starts a real worker (marked `celery`)."""

import pytest

from config.celery import app


@pytest.fixture(autouse=True)
def taches_en_local(request):
    """`make test` exports a CELERY_BROKER_URL; tests that start no worker must not leave messages in Redis."""
    if request.node.get_closest_marker("celery"):
        yield
        return
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous
