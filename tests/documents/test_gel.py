"""documents/gel.py: what a document leaves alive is frozen after it, and thawed and collected every so often."""

import gc
import weakref

import pytest

from documents.gel import DEGEL_TOUTES_LES, Gel


class Noeud:
    pass


@pytest.fixture
def gel():
    gel = Gel()
    yield gel
    gel.degeler()


def test_ce_qui_survit_a_un_document_est_gele(gel):
    vivant = Noeud()
    assert any(objet is vivant for objet in gc.get_objects())

    gel.apres_document()

    assert gc.get_freeze_count() > 0
    # Frozen objects are left out of the collector's generations.
    assert not any(objet is vivant for objet in gc.get_objects())


def test_un_cycle_mort_gele_est_libere_au_degel(gel):
    """Memory stays flat: a reference cycle that dies frozen is freed by the next full collection, not never."""
    cycle = Noeud()
    cycle.moi = cycle
    reference = weakref.ref(cycle)
    gel.apres_document()
    del cycle
    gc.collect()
    assert reference() is not None  # frozen: out of the collector's reach

    for _ in range(DEGEL_TOUTES_LES - 1):
        gel.apres_document()

    assert reference() is None


def test_un_objet_gele_est_libere_a_sa_derniere_reference(gel):
    objet = Noeud()
    reference = weakref.ref(objet)
    gel.apres_document()

    del objet

    assert reference() is None
