"""Payments and the states they derive: émis, partiellement payé, payé, annulé; overdue; scoping to the user."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, transaction

from facturation.models import Paiement, TitreDePerception
from facturation.services import PaiementRefuse, annuler_titre, emettre_titre, enregistrer_paiement
from tests.factories import UserFactory

from .conftest import DATE_SEED
from .factories import convention_a_facturer

pytestmark = pytest.mark.django_db

JOUR = datetime.date(2022, 2, 1)


def _payer(titre, montant, date=JOUR):
    return enregistrer_paiement(titre, date, Decimal(montant), Paiement.Moyen.VIREMENT, "VIR-2022-001")


def _frais(titre):
    return TitreDePerception.objects.get(pk=titre.pk)


def test_payments_move_the_state_from_emis_to_paye(titre_seed):
    """20 € makes it partly paid (30 € left), 30 € more makes it paid (nothing left)."""
    assert (titre_seed.etat, titre_seed.reste_a_payer) == ("emis", Decimal("50.00"))
    _payer(titre_seed, "20.00")
    titre = _frais(titre_seed)
    assert (titre.etat, titre.etat_libelle, titre.reste_a_payer) == (
        "partiellement_paye",
        "Partiellement payé",
        Decimal("30.00"),
    )
    _payer(titre_seed, "30.00")
    titre = _frais(titre_seed)
    assert (titre.etat, titre.etat_libelle, titre.reste_a_payer) == ("paye", "Payé", Decimal("0.00"))


def test_the_payment_records_who_and_how(titre_seed):
    """Date, amount, means, reference and the finance officer are kept."""
    agent = UserFactory(is_staff=True)
    paiement = enregistrer_paiement(titre_seed, JOUR, Decimal("50.00"), "cheque", " CHQ 123 ", user=agent)
    paiement.refresh_from_db()
    assert (paiement.date, paiement.montant, paiement.moyen, paiement.reference) == (
        JOUR,
        Decimal("50.00"),
        "cheque",
        "CHQ 123",
    )
    assert paiement.enregistre_par == agent


def test_overpayment_is_refused_with_what_is_left(titre_seed):
    """Paying 60 € of 50 €, or 40 € when 30 € are left, is refused with the amounts in the message."""
    with pytest.raises(PaiementRefuse) as refus:
        _payer(titre_seed, "60.00")
    assert str(refus.value) == (
        "Le paiement de 60,00\u00a0€ dépasse le reste à payer du titre n° 2022-000001 (50,00\u00a0€ sur "
        "50,00\u00a0€) : il est refusé."
    )
    _payer(titre_seed, "20.00")
    with pytest.raises(PaiementRefuse, match="reste à payer du titre n° 2022-000001 \\(30,00"):
        _payer(titre_seed, "40.00")
    assert _frais(titre_seed).montant_paye == Decimal("20.00")


@pytest.mark.parametrize(
    ("montant", "date", "reference", "message"),
    [
        ("0", JOUR, "VIR", "doit être positif"),
        ("-5", JOUR, "VIR", "doit être positif"),
        ("10.001", JOUR, "VIR", "plus de deux décimales"),
        ("10", datetime.date(2999, 1, 1), "VIR", "dans le futur"),
        ("10", datetime.date(2022, 1, 9), "VIR", "précède l'émission du titre n° 2022-000001"),
        ("10", JOUR, "  ", "référence du paiement"),
    ],
)
def test_bad_payments_are_refused(titre_seed, montant, date, reference, message):
    """Each bad field gets its own French message, and nothing is recorded."""
    with pytest.raises(PaiementRefuse, match=message):
        enregistrer_paiement(titre_seed, date, Decimal(montant), "virement", reference)
    assert not Paiement.objects.exists()


def test_cancelled_and_cancelling_titres_take_no_payment(titre_seed):
    """Money cannot be recorded on a cancelled titre nor on the titre that cancels it."""
    annulation = annuler_titre(titre_seed, "Erreur")
    with pytest.raises(PaiementRefuse, match="est annulé"):
        _payer(titre_seed, "10.00")
    with pytest.raises(PaiementRefuse, match="titre d'annulation"):
        _payer(annulation, "10.00", date=annulation.date_emission)


def test_the_database_refuses_a_non_positive_payment(titre_seed):
    """The check constraint holds even when the service is bypassed."""
    with pytest.raises(IntegrityError), transaction.atomic():
        Paiement.objects.create(titre=titre_seed, date=JOUR, montant=Decimal("0"), reference="X")


def _jeu_de_titres():
    """One titre per state, issued on 1 March 2022 (due 31 March 2022), plus one cancelling titre."""
    emis, partiel, paye, annule = (
        emettre_titre(convention_a_facturer(), date_emission=datetime.date(2022, 3, 1)) for _ in range(4)
    )
    _payer(partiel, "10.00", date=datetime.date(2022, 3, 2))
    _payer(paye, "50.00", date=datetime.date(2022, 3, 2))
    annulation = annuler_titre(annule, "Erreur", date_emission=datetime.date(2022, 3, 3))
    return emis, partiel, paye, annule, annulation


def test_state_querysets_agree_with_the_state_property():
    """emis(), partiellement_payes(), payes(), annules(), annulations(), a_recouvrer(), en_retard() each select the
    titres whose derived state says so."""
    emis, partiel, paye, annule, annulation = _jeu_de_titres()
    titres = TitreDePerception.objects
    assert list(titres.emis()) == [emis]
    assert list(titres.partiellement_payes()) == [partiel]
    assert list(titres.payes()) == [paye]
    assert list(titres.annules()) == [annule]
    assert list(titres.annulations()) == [annulation]
    assert set(titres.vivants()) == {emis, partiel, paye}
    assert set(titres.a_recouvrer()) == {emis, partiel}
    assert set(titres.en_retard(today=datetime.date(2022, 4, 1))) == {emis, partiel}
    assert not titres.en_retard(today=datetime.date(2022, 3, 31)).exists()
    for titre in titres.with_paiements():
        assert titre.etat == _frais(titre).etat
    assert {t.etat for t in [emis, partiel, paye, annule]} == {"emis", "partiellement_paye", "paye", "annule"}
    assert partiel.est_en_retard(datetime.date(2022, 4, 1))
    assert not paye.est_en_retard(datetime.date(2022, 4, 1))


def test_a_list_of_titres_with_their_state_costs_one_query(django_assert_num_queries):
    """with_paiements() annotates paid amount and cancellation: state and balance of a list in one query."""
    _jeu_de_titres()
    with django_assert_num_queries(1):
        rows = [(t.numero, t.etat, t.reste_a_payer) for t in TitreDePerception.objects.with_paiements()]
    assert len(rows) == 5
    assert sum(reste for _, _, reste in rows) == Decimal("90.00")


def test_for_user_scopes_titres_to_the_collectivite(representant_a, representant_b, agent_finances):
    """A representative sees their collectivité's titres only; rectorat staff sees all; anonymous nothing."""
    titre_a = emettre_titre(convention_a_facturer(collectivite=representant_a.collectivite))
    titre_b = emettre_titre(convention_a_facturer(collectivite=representant_b.collectivite))
    assert list(TitreDePerception.objects.for_user(representant_a)) == [titre_a]
    assert list(TitreDePerception.objects.for_user(representant_b)) == [titre_b]
    assert set(TitreDePerception.objects.for_user(agent_finances)) == {titre_a, titre_b}
    assert not TitreDePerception.objects.for_user(AnonymousUser()).exists()
    assert list(TitreDePerception.objects.for_annee_budgetaire(titre_a.annee_budgetaire).order_by("sequence")) == [
        titre_a,
        titre_b,
    ]


def test_seed_titre_is_overdue_after_its_due_date(titre_seed):
    """Due on 9 February 2022: not overdue on that day, overdue the day after."""
    assert titre_seed.date_emission == DATE_SEED
    assert not TitreDePerception.objects.en_retard(today=datetime.date(2022, 2, 9)).exists()
    assert list(TitreDePerception.objects.en_retard(today=datetime.date(2022, 2, 10))) == [titre_seed]
