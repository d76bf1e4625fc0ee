"""Concurrency on PostgreSQL: gapless numbering under parallel issuings, a failed transaction that had taken a
number, and a payment racing a cancellation."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from facturation.models import CompteurTitres, TitreDePerception
from facturation.services import (
    EmissionImpossible,
    FacturationImpossible,
    annuler_titre,
    emettre_titre,
    enregistrer_paiement,
)
from tests.factories import AcademieFactory, AnneeScolaireFactory, CollectiviteFactory

from .factories import convention_a_facturer

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]

JOUR = datetime.date(2022, 3, 1)


def _en_parallele(fonction, arguments: list) -> tuple[list, list]:
    """Runs fonction(argument) in one thread per argument, all released at once; returns (results, errors)."""
    barrier = threading.Barrier(len(arguments))
    results, errors = [], []

    def worker(argument):
        try:
            barrier.wait(timeout=30)
            results.append(fonction(argument))
        except Exception as exc:  # collected and asserted on by the caller
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(argument,)) for argument in arguments]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "un fil d'émission est resté bloqué"
    return results, errors


def test_eight_concurrent_issuings_get_numbers_one_to_eight():
    """8 threads issue 8 titres of a new year at once: numbers 1..8, no gap, no duplicate, counter at 8."""
    conventions = [convention_a_facturer() for _ in range(8)]

    titres, errors = _en_parallele(lambda c: emettre_titre(c, date_emission=JOUR), conventions)

    assert errors == []
    assert sorted(t.numero for t in titres) == [f"2022-{n:06d}" for n in range(1, 9)]
    assert sorted(TitreDePerception.objects.values_list("sequence", flat=True)) == list(range(1, 9))
    assert CompteurTitres.objects.get(annee_budgetaire=2022).dernier_numero == 8
    assert {t.convention_id for t in titres} == {c.pk for c in conventions}


def test_eight_concurrent_issuers_across_two_academies_each_get_a_gapless_sequence():
    """8 threads, 4 per académie, issue at once: each académie numbers 1..4 of its own, the database holds the two
    sequences side by side (unique per académie, exercice and rank)."""
    toulouse = AnneeScolaireFactory(
        academie=AcademieFactory(code="16", nom="Académie de Toulouse"), libelle="2021-2022"
    )
    conventions = [convention_a_facturer() for _ in range(4)]
    conventions += [
        convention_a_facturer(annee=toulouse, collectivite=CollectiviteFactory(departement="09")) for _ in range(4)
    ]

    titres, errors = _en_parallele(lambda c: emettre_titre(c, date_emission=JOUR), conventions)

    assert errors == []
    par_academie = {code: sorted(t.numero for t in titres if t.academie.code == code) for code in ("11", "16")}
    assert par_academie == {code: [f"2022-{n:06d}" for n in range(1, 5)] for code in ("11", "16")}
    compteurs = CompteurTitres.objects.values_list("academie__code", "annee_budgetaire", "dernier_numero")
    assert sorted(compteurs) == [("11", 2022, 4), ("16", 2022, 4)]
    with pytest.raises(IntegrityError), transaction.atomic():
        doublon = TitreDePerception.objects.get(academie__code="16", sequence=1)
        doublon.pk, doublon.code_verification, doublon._state.adding = None, None, True
        doublon.academie = TitreDePerception.objects.get(academie__code="11", sequence=1).academie
        doublon.save()


def test_concurrent_issuings_of_one_convention_give_one_titre():
    """4 threads issue the same convention: one titre, three clear refusals, and no number lost."""
    convention = convention_a_facturer()

    titres, errors = _en_parallele(lambda c: emettre_titre(c, date_emission=JOUR), [convention] * 4)

    assert [t.numero for t in titres] == ["2022-000001"]
    assert len(errors) == 3
    assert all(isinstance(e, EmissionImpossible) and "déjà un titre" in str(e) for e in errors)
    assert CompteurTitres.objects.get(annee_budgetaire=2022).dernier_numero == 1


def test_a_transaction_failing_after_taking_a_number_leaves_no_gap():
    """The issuing rolls back with its caller's failed transaction: the next titre takes the same number."""
    premiere, seconde = convention_a_facturer(), convention_a_facturer()

    with pytest.raises(RuntimeError), transaction.atomic():
        emettre_titre(premiere, date_emission=JOUR)
        assert CompteurTitres.objects.get(annee_budgetaire=2022).dernier_numero == 1
        raise RuntimeError("échec après la prise du numéro")

    assert not TitreDePerception.objects.exists()
    titre = emettre_titre(seconde, date_emission=JOUR)
    assert titre.numero == "2022-000001"
    assert emettre_titre(premiere, date_emission=JOUR).numero == "2022-000002"


def test_a_payment_and_a_cancellation_of_one_titre_never_both_pass():
    """Paying and cancelling the same titre at once: exactly one succeeds, the other is refused with its reason."""
    for _ in range(3):
        titre = emettre_titre(convention_a_facturer(), date_emission=JOUR)
        actions = [
            lambda t: enregistrer_paiement(t, JOUR, Decimal("50.00"), "virement", "VIR"),
            lambda t: annuler_titre(t, "Erreur", date_emission=JOUR),
        ]
        results, errors = _en_parallele(lambda action, t=titre: action(t), actions)
        assert len(results) == 1
        assert len(errors) == 1 and isinstance(errors[0], FacturationImpossible)
        titre = TitreDePerception.objects.get(pk=titre.pk)
        assert titre.etat in ("paye", "annule")
