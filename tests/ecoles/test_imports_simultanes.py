"""Two imports at once on PostgreSQL: the second waits for the first (jobs.tabular.attendre_les_autres_imports), then
reads what it wrote, instead of inserting the same communes and failing on their unique key at the first's commit."""

import threading
import time
from pathlib import Path

import pytest
from django.db import connection, connections, transaction

from collectivites.models import Commune
from ecoles.importers import importer_ecoles
from ecoles.models import Ecole

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="advisory locks need PostgreSQL"),
]

IPS = Path(__file__).parent / "data" / "ministere" / "ips-ecoles-aude-2021-2022.csv"


def en_fil(fonction) -> tuple[threading.Thread, dict]:
    """fonction() on a thread of its own (its own connection); its result or its exception in the dict."""
    sortie = {}

    def executer():
        try:
            sortie["resultat"] = fonction()
        except Exception as exc:  # reported to the test, which asserts there is none
            sortie["erreur"] = exc
        finally:
            connections.close_all()

    fil = threading.Thread(target=executer)
    fil.start()
    return fil, sortie


def attente_du_verrou(requete: str, timeout: float = 30) -> bool:
    """Whether a session of the test database is waiting, within `timeout` seconds, on a lock for `requete`."""
    fin = time.monotonic() + timeout
    while time.monotonic() < fin:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = "
                "'Lock' AND query ILIKE %s",
                [f"%{requete}%"],
            )
            if cursor.fetchone()[0]:
                return True
        time.sleep(0.05)
    return False


def test_a_second_import_waits_for_the_first_then_finds_its_communes_and_schools():
    premier_ecrit, premier_peut_finir = threading.Event(), threading.Event()

    def premier():
        # The first import's transaction stays open once it has written everything, until the test lets it commit.
        with transaction.atomic():
            rapport = importer_ecoles(IPS)
            premier_ecrit.set()
            assert premier_peut_finir.wait(60)
        return rapport

    fil_1, sortie_1 = en_fil(premier)
    fils, sortie_2 = [fil_1], {}
    try:
        assert premier_ecrit.wait(60)
        fil_2, sortie_2 = en_fil(lambda: importer_ecoles(IPS))
        fils.append(fil_2)
        # The second waits on the imports' lock, not on a commune's unique key half-way through its writes.
        assert attente_du_verrou("pg_advisory_xact_lock")
        assert not sortie_2
    finally:
        premier_peut_finir.set()  # whatever happened: no transaction left open for the database's teardown
        for fil in fils:
            fil.join(60)

    assert "erreur" not in sortie_1 and "erreur" not in sortie_2, (sortie_1, sortie_2)
    premier, second = sortie_1["resultat"], sortie_2["resultat"]
    assert premier.creees == Ecole.objects.count() > 200
    assert premier.communes_creees == Commune.objects.count() > 0
    # The second read the first's rows: the same file again, nothing to create.
    assert (second.creees, second.communes_creees, second.lignes_rejetees) == (0, 0, 0)
