"""The imports' COPYs on a second thread (PostgreSQL): same order, same errors, same atomicity as a plain run."""

import pytest
from django.db import IntegrityError, connection, transaction

from collectivites.models import Commune
from ecoles.models import Ecole
from jobs.tabular import Contexte, CopiesEnFond, RapportImport, creer_avec_historique

pytestmark = pytest.mark.django_db


def _communes(*codes):
    return [Commune(code_insee=code, nom=f"Commune {code}", departement=code[:2]) for code in codes]


@pytest.fixture
def contexte():
    return Contexte(RapportImport("communes.csv", "communes"), motif_historique="Test")


def test_the_copies_are_handed_to_the_second_thread_on_postgresql_only(contexte):
    """The rows' COPY and their history's are sent in the background, not by this thread; SQLite writes in this
    process anyway: nothing to run beside it."""
    with transaction.atomic(), CopiesEnFond() as copies:
        creer_avec_historique(_communes("11001"), Commune, contexte)
        en_fond = len(copies.en_cours) if copies.actif else 0
        assert en_fond == (2 if connection.vendor == "postgresql" else 0)


def test_the_next_statement_sees_the_rows_copied_in_the_background(contexte):
    """A query after a COPY waits for it: the rows and their history are there, in the order they were sent."""
    with transaction.atomic(), CopiesEnFond():
        creer_avec_historique(_communes("11001", "11002", "11003"), Commune, contexte)
        assert list(Commune.objects.order_by("code_insee").values_list("code_insee", flat=True)) == [
            "11001",
            "11002",
            "11003",
        ]
        assert Commune.history.filter(history_type="+").count() == 3


def test_a_failed_background_copy_raises_its_own_error_and_keeps_nothing(contexte):
    """A code twice in one COPY: the database's error reaches the import, as Django's, and nothing is kept."""
    with pytest.raises(IntegrityError, match="code_insee"), transaction.atomic(), CopiesEnFond():
        creer_avec_historique(_communes("11001", "11001"), Commune, contexte)
    assert not Commune.objects.exists()
    assert not Commune.history.exists()


def test_a_failed_copy_is_raised_by_the_statement_that_follows_it(contexte):
    """The error comes before any later statement runs on the aborted transaction."""
    with pytest.raises(IntegrityError, match="code_insee"), transaction.atomic(), CopiesEnFond():
        creer_avec_historique(_communes("11001", "11001"), Commune, contexte)
        Commune.objects.count()
        pytest.fail("the statement after the failed COPY ran")
    assert not Commune.objects.exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the COPYs run in the background on PostgreSQL only")
def test_keys_are_taken_while_a_copy_is_held_up(contexte):
    """The keys of the next rows do not wait for the COPYs in flight: with the first COPY held up by another
    session's lock on the table, the next rows still get their keys, the sequence's next ones."""
    autre = connection.Database.connect(**connection.get_connection_params())
    try:
        with autre.cursor() as cursor:
            cursor.execute("LOCK TABLE collectivites_commune IN SHARE MODE")  # COPY needs ROW EXCLUSIVE
        with transaction.atomic():
            with connection.cursor() as cursor:
                # Were the keys taken on this connection, they would wait for the held COPY: a failure, not a hang.
                cursor.execute("SET LOCAL lock_timeout = '10s'")
            with CopiesEnFond() as copies:
                premieres, suivantes = _communes("11001", "11002"), _communes("11003")
                creer_avec_historique(premieres, Commune, contexte)
                creer_avec_historique(suivantes, Commune, contexte)
                assert not copies.en_cours[0].done()  # the first COPY was still held up
                autre.rollback()
            assert [c.pk for c in premieres + suivantes] == list(range(premieres[0].pk, premieres[0].pk + 3))
            assert dict(Commune.objects.values_list("code_insee", "pk")) == {
                c.code_insee: c.pk for c in premieres + suivantes
            }
    finally:
        autre.close()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the COPYs run in the background on PostgreSQL only")
def test_foreign_keys_are_checked_by_each_copy_then_deferred_again(contexte):
    """A row whose foreign key points nowhere fails in the block, by its COPY, not at the commit (Django's foreign
    keys are deferred): the check runs on the server while the import goes on. After the block they are deferred
    again, as the rest of the transaction expects."""
    sans_commune = Ecole(uai="0119999Z", nom="ÉCOLE", nature="primaire", commune_id=987654321, academie="13")
    with pytest.raises(IntegrityError, match="commune_id"), transaction.atomic(), CopiesEnFond():
        creer_avec_historique([sans_commune], Ecole, contexte)
    with transaction.atomic():
        with CopiesEnFond():
            creer_avec_historique(_communes("11001"), Commune, contexte)
        Ecole.objects.bulk_create([Ecole(uai="0110001A", nom="ÉCOLE", nature="primaire", commune_id=987654321)])
        Ecole.objects.filter(uai="0110001A").delete()  # checked at commit only: deleted before
