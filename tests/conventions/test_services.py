import datetime

import pytest

from conventions.models import Convention
from conventions.services import (
    TransitionInterdite,
    choisir_ecoles,
    creer_convention,
    enregistrer_signature,
    resilier,
)
from tests.factories import AnneeScolaireFactory, CollectiviteFactory, ConventionFactory, EcoleFactory


def test_creer_convention_copies_the_representative_and_records_history(db):
    """A new convention names the representative as the collectivité has them today, and its creation is recorded."""
    collectivite = CollectiviteFactory(representant_prenom="André", representant_nom="Hernandez")
    convention = creer_convention(AnneeScolaireFactory(), collectivite)
    assert convention.representant == f"{collectivite.representant_civilite} André HERNANDEZ"
    assert convention.etat == Convention.Etat.BROUILLON
    assert convention.history.first().history_change_reason == "Création"


def test_choisir_ecoles_refuses_closed_and_private_schools(db):
    """Only open public schools can join a new convention; the message names the refused school."""
    convention = ConventionFactory()
    fermee = EcoleFactory(fermee=True)
    with pytest.raises(TransitionInterdite, match=fermee.uai):
        choisir_ecoles(convention, [EcoleFactory(), fermee])
    assert convention.inscriptions.count() == 0


def test_choisir_ecoles_sets_annexe_1_exactly(db):
    """Choosing schools adds the new ones and removes the ones no longer chosen."""
    first, second, third = EcoleFactory.create_batch(3)
    convention = ConventionFactory(ecoles=[first, second])
    choisir_ecoles(convention, [second, third])
    assert set(convention.inscriptions.values_list("ecole__uai", flat=True)) == {second.uai, third.uai}


def test_only_a_draft_can_change_its_schools(db):
    """A convention sent for signature keeps its Annexe 1."""
    convention = ConventionFactory(envoyee=True, ecoles=1)
    with pytest.raises(TransitionInterdite, match="Envoyée pour signature"):
        choisir_ecoles(convention, [])


def test_signature_then_resiliation(db):
    """A sent convention is signed with date and place, then terminated with a reason (Article 8)."""
    convention = ConventionFactory(envoyee=True, ecoles=1)
    enregistrer_signature(convention, datetime.date(2021, 9, 13), "Montpellier")
    assert convention.etat == Convention.Etat.SIGNEE
    with pytest.raises(TransitionInterdite, match="motif"):
        resilier(convention, datetime.date(2022, 3, 1), "  ")
    resilier(convention, datetime.date(2022, 3, 1), "Engagements non respectés")
    convention.refresh_from_db()
    assert convention.etat == Convention.Etat.RESILIEE
    assert convention.history.first().history_change_reason == "Résiliation : Engagements non respectés"


def test_a_draft_cannot_be_signed(db):
    """Signing skips no step: a draft must be sent first."""
    with pytest.raises(TransitionInterdite):
        enregistrer_signature(ConventionFactory(), datetime.date(2021, 9, 13), "Montpellier")


def test_sending_reads_the_convention_and_its_schools_once(db):
    """The lock reads the convention with its year, académie and collectivité; Annexe 1 is read once for the check,
    the PDF and the e-mail that follows (no second read of the row, no count of the schools)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from conventions.notifications import notifier_convention_prete
    from conventions.services import envoyer_pour_signature

    convention = ConventionFactory(ecoles=2)
    with CaptureQueriesContext(connection) as queries:
        envoyer_pour_signature(convention)
        notifier_convention_prete(convention)
    selects = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")]
    assert len([sql for sql in selects if 'FROM "conventions_convention"' in sql]) == 1
    assert len([sql for sql in selects if 'FROM "conventions_inscription"' in sql]) == 1
    assert not [sql for sql in selects if "COUNT(" in sql]
    assert not [
        sql
        for sql in selects
        if 'FROM "conventions_anneescolaire"' in sql or 'FROM "collectivites_collectivite"' in sql
    ]


def test_sending_locks_the_convention_row_only(db):
    """Sending locks its convention, never the school year's row: two workers can send two conventions at once."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from conventions.services import envoyer_pour_signature

    if not connection.features.has_select_for_update:
        pytest.skip("SQLite locks the whole database, not rows.")
    convention = ConventionFactory(ecoles=1)
    with CaptureQueriesContext(connection) as queries:
        envoyer_pour_signature(convention)
    locks = [q["sql"] for q in queries.captured_queries if "FOR UPDATE" in q["sql"]]
    assert locks
    for sql in locks:
        assert "anneescolaire" not in sql.split("FOR UPDATE")[0] or "FOR UPDATE OF" in sql, sql
