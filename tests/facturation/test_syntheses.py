"""Participations summed per school year, département and collectivité; the budget year's figures per département."""

import datetime
from decimal import Decimal

import pytest

from conventions.models import Convention
from facturation.services import annuler_titre, emettre_titre, enregistrer_paiement
from facturation.syntheses import synthese_exercice, synthese_participations
from tests.factories import AnneeScolaireFactory, CollectiviteFactory, CommuneFactory

from .factories import convention_a_facturer

pytestmark = pytest.mark.django_db


def test_participations_are_schools_times_rate_per_year_departement_and_collectivite(agent_finances):
    """Signed (and terminated) conventions count; drafts and conventions awaiting signature do not."""
    annee_1 = AnneeScolaireFactory(libelle="2021-2022", tarif_par_ecole=Decimal("50.00"))
    annee_2 = AnneeScolaireFactory(libelle="2022-2023", tarif_par_ecole=Decimal("55.00"))
    aude = CollectiviteFactory(nom="Commune de l'Aude", departement="11")
    herault = CollectiviteFactory(
        nom="Commune de l'Hérault", departement="34", commune=CommuneFactory(code_insee="34172")
    )
    convention_a_facturer(annee=annee_1, collectivite=aude, nb_ecoles=3)
    convention_a_facturer(annee=annee_1, collectivite=herault, nb_ecoles=2)
    convention_a_facturer(annee=annee_2, collectivite=aude, nb_ecoles=1)
    resiliee = convention_a_facturer(annee=annee_2, collectivite=herault, nb_ecoles=2)
    Convention.objects.filter(pk=resiliee.pk).update(etat=Convention.Etat.RESILIEE)
    brouillon = convention_a_facturer(annee=annee_2, collectivite=CollectiviteFactory(), nb_ecoles=4)
    Convention.objects.filter(pk=brouillon.pk).update(etat=Convention.Etat.BROUILLON)

    resultat = synthese_participations(agent_finances)

    assert [(p["annee"], p["nb_conventions"], p["nb_ecoles"], p["participation"]) for p in resultat["par_annee"]] == [
        ("2022-2023", 2, 3, Decimal("165.00")),
        ("2021-2022", 2, 5, Decimal("250.00")),
    ]
    assert [(p["annee"], p["departement"], p["participation"]) for p in resultat["par_departement"]] == [
        ("2022-2023", "11", Decimal("55.00")),
        ("2022-2023", "34", Decimal("110.00")),
        ("2021-2022", "11", Decimal("150.00")),
        ("2021-2022", "34", Decimal("100.00")),
    ]
    assert [(p["annee"], p["collectivite"], p["nb_ecoles"]) for p in resultat["par_collectivite"]] == [
        ("2022-2023", "Commune de l'Aude", 1),
        ("2022-2023", "Commune de l'Hérault", 2),
        ("2021-2022", "Commune de l'Aude", 3),
        ("2021-2022", "Commune de l'Hérault", 2),
    ]
    seule = synthese_participations(agent_finances, "2021-2022")
    assert [p["annee"] for p in seule["par_annee"]] == ["2021-2022"]


def test_budget_year_summary_per_departement(agent_finances):
    """Issued, cancelled, paid, outstanding and overdue amounts, per département of the debtor, with a total."""
    jour = datetime.date(2022, 3, 1)
    aude = emettre_titre(convention_a_facturer(nb_ecoles=2), date_emission=jour)  # 100 €
    herault_convention = convention_a_facturer(
        collectivite=CollectiviteFactory(departement="34", commune=CommuneFactory(code_insee="34172"))
    )
    herault = emettre_titre(herault_convention, date_emission=jour)  # 50 €
    annule = emettre_titre(convention_a_facturer(), date_emission=jour)  # 50 €, cancelled
    annuler_titre(annule, "Erreur", date_emission=jour)
    enregistrer_paiement(aude, jour, Decimal("40.00"), "virement", "VIR")
    enregistrer_paiement(herault, jour, Decimal("50.00"), "virement", "VIR")
    emettre_titre(convention_a_facturer(), date_emission=datetime.date(2023, 1, 5))  # another year

    resultat = synthese_exercice(agent_finances, 2022)

    lignes = {ligne["departement"]: ligne for ligne in resultat["departements"]}
    assert set(lignes) == {"11", "34"}
    assert (lignes["11"]["nb_emis"], lignes["11"]["emis"], lignes["11"]["annules"]) == (
        2,
        Decimal("150.00"),
        Decimal("50.00"),
    )
    assert (lignes["11"]["paye"], lignes["11"]["reste"]) == (Decimal("40.00"), Decimal("60.00"))
    assert (lignes["34"]["paye"], lignes["34"]["reste"]) == (Decimal("50.00"), Decimal("0.00"))
    total = resultat["total"]
    assert (total["nb_emis"], total["emis"], total["nb_annules"], total["net"], total["paye"], total["reste"]) == (
        3,
        Decimal("200.00"),
        1,
        Decimal("150.00"),
        Decimal("90.00"),
        Decimal("60.00"),
    )
    # Due on 31 March 2022, long past: the Aude titre is overdue for its 60 € left.
    assert (total["nb_en_retard"], total["en_retard"]) == (1, Decimal("60.00"))
