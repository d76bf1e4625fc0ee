"""Personas shared by every test: a rectorat agent, a finance officer, representatives of collectivités A and B.

Also the database the session runs on. With DATABASE_OWNER_URL set (`make test`, CI), PostgreSQL is used as in
production: the test database is created and migrated by the tables' owner, then the tests run as DATABASE_URL's
role, which owns nothing (it cannot disable a trigger nor truncate a table). Without it, one role does both, as a
developer's plain `DATABASE_URL=… pytest` run. With CI set, the session refuses to start on anything else than
PostgreSQL with the two roles: a green CI that never touched PostgreSQL is impossible.
"""

import os
from contextlib import contextmanager

import environ
import pytest
from django.db import connections

from collectivites.models import User

from .campagne.worker import Worker, publish_to_worker, redis_or_fail
from .factories import CollectiviteFactory, UserFactory

PASSWORD = "mot-de-passe-de-test-solide"
OWNER_URL = os.environ.get("DATABASE_OWNER_URL", "")


def pytest_configure(config):
    if not os.environ.get("CI"):
        return
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"]
    if engine != "django.db.backends.postgresql" or not OWNER_URL:
        pytest.exit(
            f"CI : les tests doivent tourner sur PostgreSQL avec un rôle applicatif distinct du propriétaire des "
            f"tables (DATABASE_URL et DATABASE_OWNER_URL, voir scripts/services.sh) ; ici : {engine}"
            f"{'' if OWNER_URL else ', sans DATABASE_OWNER_URL'}.",
            returncode=3,
        )


def non_proprietaire() -> bool:
    """True when the tests run as a role that does not own the tables."""
    return bool(OWNER_URL) and connections["default"].vendor == "postgresql"


@contextmanager
def en_proprietaire(connection):
    """The connection switched to the tables' owner for the block (a new session), then back to the application."""
    owner = environ.Env.db_url_config(OWNER_URL)
    application = {key: connection.settings_dict[key] for key in ("USER", "PASSWORD")}
    connection.close()
    connection.settings_dict.update(USER=owner["USER"], PASSWORD=owner["PASSWORD"])
    try:
        yield connection
    finally:
        connection.close()
        connection.settings_dict.update(application)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """The test database is created and migrated by the owner: the application's role may not create one."""
    if OWNER_URL:
        owner = environ.Env.db_url_config(OWNER_URL)
        connections["default"].settings_dict.update(USER=owner["USER"], PASSWORD=owner["PASSWORD"])


# The staff groups and their permissions as the migrations made them, read once the test database is ready: a
# transactional test's flush empties them, and `groupes_du_rectorat` puts them back.
GROUPES_MIGRES: dict[str, list[tuple[str, str]]] = {}


def _lire_groupes() -> None:
    from django.contrib.auth.models import Group

    for groupe in Group.objects.prefetch_related("permissions__content_type"):
        GROUPES_MIGRES[groupe.name] = [(p.content_type.app_label, p.codename) for p in groupe.permissions.all()]


@pytest.fixture
def groupes_du_rectorat(transactional_db):
    """« Gestion ENT » and « Finances » with their permissions, for a transactional test (a browser's) that may
    follow another one's flush. The permissions themselves come back with the flush (post_migrate)."""
    from django.contrib.auth.models import Group, Permission

    for nom, permissions in GROUPES_MIGRES.items():
        groupe, _ = Group.objects.get_or_create(name=nom)
        for app_label, codename in permissions:
            groupe.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


def accorder_droits_application(connection) -> None:
    """The application's role gets, on every table and sequence, the rights it has in production; run by the owner."""
    role = connection.ops.quote_name(environ.Env.db_url_config(os.environ["DATABASE_URL"])["USER"])
    with connection.cursor() as cursor:
        cursor.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}")
        cursor.execute(f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {role}")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Then the application's role gets the rights it has in production (README, « Base de données ») and the
    tests run as it; the test runner's flush (TRUNCATE, between transactional tests) stays the owner's job."""
    with django_db_blocker.unblock():
        _lire_groupes()
    if not OWNER_URL:
        yield
        return
    connection = connections["default"]
    application = environ.Env.db_url_config(os.environ["DATABASE_URL"])
    with django_db_blocker.unblock():
        accorder_droits_application(connection)
    connection.close()
    connection.settings_dict.update(USER=application["USER"], PASSWORD=application["PASSWORD"])
    # On the class: a test driving a browser gets another connection object (asgiref's context-local ones).
    operations = type(connection.ops)
    execute_sql_flush = operations.execute_sql_flush

    def flush_en_proprietaire(self, sql_list):
        with en_proprietaire(self.connection):
            execute_sql_flush(self, sql_list)

    operations.execute_sql_flush = flush_en_proprietaire
    yield
    operations.execute_sql_flush = execute_sql_flush
    connection.close()
    owner = environ.Env.db_url_config(OWNER_URL)
    connection.settings_dict.update(USER=owner["USER"], PASSWORD=owner["PASSWORD"])


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
    """A real Celery worker for the tests marked `celery` (tests/campagne/worker.py): started after the test database
    exists and stopped before it is emptied (it holds connections to it)."""
    redis_or_fail().flushdb()  # messages left by an interrupted run
    worker = Worker(tmp_path)
    worker.start()
    restore = publish_to_worker()
    yield worker
    restore()
    worker.stop()
