"""Personas shared by every test: a rectorat agent, a finance officer, representatives of collectivités A and B."""

import pytest

from collectivites.models import User

from .campaign.worker import Worker, publish_to_worker, redis_or_fail
from .factories import CollectiviteFactory, UserFactory

PASSWORD = "mot-de-passe-de-test-solide"


@pytest.fixture
def agent_gestion(db):
    """A rectorat agent of the "Gestion ENT" group (staff, admin access)."""
    return UserFactory(email="agent@ac-montpellier.fr", is_staff=True, groups=["Gestion ENT"])


@pytest.fixture
def agent_finances(db):
    """A finance officer of the "Finances" group."""
    return UserFactory(email="finances@ac-montpellier.fr", is_staff=True, groups=["Finances"])


@pytest.fixture
def collectivite_a(db):
    return CollectiviteFactory(nom="Commune A")


@pytest.fixture
def collectivite_b(db):
    return CollectiviteFactory(nom="Commune B")


@pytest.fixture
def representant_a(collectivite_a):
    return UserFactory(email="maire@commune-a.fr", collectivite=collectivite_a, role=User.Role.REPRESENTANT)


@pytest.fixture
def representant_b(collectivite_b):
    return UserFactory(email="maire@commune-b.fr", collectivite=collectivite_b, role=User.Role.REPRESENTANT)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Each test writes its files (frozen PDFs, uploads) in its own folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def empty_cache():
    """Rate-limit counters live in the cache: each test starts without the requests of the previous ones."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def worker(transactional_db, tmp_path):
    """A real Celery worker for the tests marked `celery` (tests/campaign/worker.py): started after the test database
    exists and stopped before it is emptied (it holds connections to it)."""
    redis_or_fail().flushdb()  # messages left by an interrupted run
    worker = Worker(tmp_path)
    worker.start()
    restore = publish_to_worker()
    yield worker
    restore()
    worker.stop()
