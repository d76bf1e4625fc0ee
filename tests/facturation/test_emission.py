"""Issuing a titre: what it refuses, what it copies and freezes, how it numbers."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.utils import timezone

from conventions.models import Convention, Notification
from facturation.models import CompteurTitres, TitreDePerception
from facturation.notifications import TITRE_EMIS
from facturation.services import EmissionImpossible, TitreDejaEmis, emettre_serie, emettre_titre
from tests.factories import AcademieFactory, UserFactory

from .conftest import DATE_SEED
from .factories import ParametresFacturationFactory, convention_a_facturer, valid_siret

pytestmark = pytest.mark.django_db


def test_seed_titre_states_the_frozen_facts(titre_seed, convention_seed):
    """The seed titre: number 1 of 2022, 50,00 € in figures and words, debtor, schools and comptable copied."""
    assert titre_seed.numero == "2022-000001"
    assert (titre_seed.annee_budgetaire, titre_seed.sequence) == (2022, 1)
    assert titre_seed.montant == Decimal("50.00")
    assert titre_seed.montant_en_lettres == "cinquante euros"
    assert titre_seed.date_emission == DATE_SEED
    assert titre_seed.date_echeance == datetime.date(2022, 2, 9)
    assert titre_seed.debiteur_nom == "Communauté de Communes Région Lézignanaise Corbières et Minervois"
    assert titre_seed.debiteur_commune == "Mouthoumet"
    assert titre_seed.debiteur_adresse_complete == "48 avenue Charles Cros 11200 Lézignan-Corbières"
    assert titre_seed.debiteur_siren == convention_seed.collectivite.siren
    assert titre_seed.ecoles == [{"uai": "0110422Z", "nom": "ECOLE PRIMAIRE"}]
    assert (titre_seed.nb_ecoles, titre_seed.tarif_par_ecole) == (1, Decimal("50.00"))
    assert titre_seed.convention_reference == convention_seed.reference
    assert titre_seed.convention_date_signature == datetime.date(2021, 9, 13)
    assert titre_seed.emetteur_nom == "Académie de Montpellier"
    assert titre_seed.ordonnateur_nom == "Sophie Béjean"
    assert titre_seed.iban == "FR7630001007941234567890185"
    assert titre_seed.etat == TitreDePerception.Etat.EMIS
    assert titre_seed.etat_libelle == "Émis"


def test_titre_keeps_its_copies_when_the_sources_change(titre_seed, convention_seed):
    """Renaming the collectivité or the school, or changing the académie's IBAN, leaves the issued titre as it was."""
    collectivite = convention_seed.collectivite
    collectivite.nom = "Nouveau nom"
    collectivite.adresse = "1 place de la Mairie"
    collectivite.save()
    ecole = convention_seed.inscriptions.get().ecole
    ecole.nom = "ECOLE RENOMMEE"
    ecole.save()
    parametres = convention_seed.annee.academie.parametres_facturation
    parametres.iban = "FR1420041010050500013M02606"
    parametres.save()
    titre = TitreDePerception.objects.get(pk=titre_seed.pk)
    assert titre.debiteur_nom == "Communauté de Communes Région Lézignanaise Corbières et Minervois"
    assert titre.debiteur_adresse == "48 avenue Charles Cros"
    assert titre.ecoles[0]["nom"] == "ECOLE PRIMAIRE"
    assert titre.iban == "FR7630001007941234567890185"


def test_amount_is_schools_times_rate_and_due_date_follows_the_delay():
    """Three schools at 50 € make 150,00 € (« cent cinquante euros »), due after the académie's delay."""
    convention = convention_a_facturer(nb_ecoles=3)
    parametres = convention.annee.academie.parametres_facturation
    parametres.delai_paiement_jours = 45
    parametres.save()
    titre = emettre_titre(convention, date_emission=datetime.date(2022, 3, 1))
    assert titre.montant == Decimal("150.00")
    assert titre.montant_en_lettres == "cent cinquante euros"
    assert titre.date_echeance == datetime.date(2022, 4, 15)
    assert [e["uai"] for e in titre.ecoles] == sorted(e["uai"] for e in titre.ecoles)


def test_due_date_is_thirty_days_after_issue_by_default():
    """An académie that sets no delay of its own gets the issue's default: due 30 days after issue."""
    convention = convention_a_facturer()
    assert convention.annee.academie.parametres_facturation.delai_paiement_jours == 30
    titre = emettre_titre(convention, date_emission=datetime.date(2022, 3, 1))
    assert titre.date_echeance == datetime.date(2022, 3, 31)


def test_chorus_identifiers_are_copied_when_present():
    """SIRET, Chorus service code and engagement number go onto the titre when the collectivité has them."""
    convention = convention_a_facturer()
    collectivite = convention.collectivite
    collectivite.siret = valid_siret(collectivite.siren)
    collectivite.code_service_chorus = "SERVICE-FIN"
    collectivite.numero_engagement = "EJ-2022-42"
    collectivite.save()
    titre = emettre_titre(convention)
    assert titre.debiteur_siret == collectivite.siret
    assert titre.debiteur_code_service_chorus == "SERVICE-FIN"
    assert titre.debiteur_numero_engagement == "EJ-2022-42"


@pytest.mark.parametrize("etat", [Convention.Etat.BROUILLON, Convention.Etat.ENVOYEE, Convention.Etat.RESILIEE])
def test_a_convention_that_is_not_signed_is_refused(etat):
    """Only a signed convention is billed; the message names the convention and its state."""
    convention = convention_a_facturer()
    Convention.objects.filter(pk=convention.pk).update(etat=etat)
    with pytest.raises(EmissionImpossible, match=f"{convention.reference} n'est pas signée"):
        emettre_titre(convention)
    assert not TitreDePerception.objects.exists()


def test_a_second_live_titre_is_refused_and_takes_no_number(titre_seed, convention_seed):
    """Issuing twice is refused (idempotent for a retried task) and the counter does not move."""
    with pytest.raises(TitreDejaEmis, match="a déjà un titre de perception en cours \\(n° 2022-000001\\)") as refus:
        emettre_titre(convention_seed, date_emission=DATE_SEED)
    assert refus.value.titre == titre_seed
    assert CompteurTitres.objects.get(annee_budgetaire=2022).dernier_numero == 1
    assert convention_seed.titres.count() == 1


def test_a_collectivite_without_siren_is_refused():
    """The SIREN is mandatory on a titre: the message says where to fill it in."""
    convention = convention_a_facturer()
    convention.collectivite.siren = ""
    convention.collectivite.save()
    with pytest.raises(EmissionImpossible, match="n'a pas de SIREN"):
        emettre_titre(convention)


def test_missing_billing_settings_are_refused():
    """Without the académie's comptable and IBAN there is nothing to tell the debtor: refused."""
    convention = convention_a_facturer()
    convention.annee.academie.parametres_facturation.delete()
    with pytest.raises(EmissionImpossible, match="paramètres de facturation"):
        emettre_titre(convention)


def test_a_convention_without_schools_is_refused():
    """A signed convention with an empty Annexe 1 has nothing to bill."""
    convention = convention_a_facturer(nb_ecoles=0)
    with pytest.raises(EmissionImpossible, match="aucune école inscrite"):
        emettre_titre(convention)


def test_numbers_follow_each_other_and_restart_each_budget_year():
    """2022-000001, 2022-000002, then 2023-000001: one sequence per budget year."""
    numeros = [
        emettre_titre(convention_a_facturer(), date_emission=jour).numero
        for jour in [datetime.date(2022, 3, 1), datetime.date(2022, 12, 31), datetime.date(2023, 1, 2)]
    ]
    assert numeros == ["2022-000001", "2022-000002", "2023-000001"]


def test_the_issuer_is_recorded():
    """The staff member who issued the titre is kept on it."""
    agent = UserFactory(is_staff=True)
    titre = emettre_titre(convention_a_facturer(), user=agent)
    assert titre.emis_par == agent
    assert titre.date_emission == timezone.localdate()


def test_a_series_issues_each_convention_and_reports_the_others(mailoutbox):
    """One call issues and announces the billable conventions by reference, keeps going past a refusal, reports the
    refusal and the missing e-mail address; called again, it issues nothing and sends nothing."""
    sans_siren, payeuse, sans_email = (convention_a_facturer() for _ in range(3))
    sans_siren.collectivite.siren = ""
    sans_siren.collectivite.save()
    sans_email.collectivite.email = ""
    sans_email.collectivite.save()
    conventions = Convention.objects.filter(pk__in=[sans_siren.pk, payeuse.pk, sans_email.pk])

    bilan = emettre_serie(conventions)
    emis = sorted([payeuse, sans_email], key=lambda convention: convention.reference)
    assert [titre.convention for titre in bilan.emis] == emis
    assert [titre.numero for titre in bilan.emis] == [f"{timezone.localdate().year}-00000{n}" for n in (1, 2)]
    [(refusee, motif)] = bilan.refus
    assert refusee == sans_siren and "n'a pas de SIREN" in motif
    [avertissement] = bilan.avertissements
    titre_sans_email = TitreDePerception.objects.get(convention=sans_email)
    assert avertissement.startswith(f"Titre n° {titre_sans_email.numero} émis, mais non annoncé par e-mail : ")
    assert [message.to for message in mailoutbox] == [[payeuse.collectivite.email]]

    encore = emettre_serie(conventions)
    assert encore.emis == [] and encore.avertissements == [] and len(encore.refus) == 3
    assert TitreDePerception.objects.count() == 2 and len(mailoutbox) == 1
    assert Notification.objects.filter(type=TITRE_EMIS).count() == 1


def test_issue_titres_command_bills_what_is_missing_and_reports_refusals(capsys, mailoutbox):
    """The command issues the year's signed conventions without a titre, lists them, and fails naming each refusal;
    --sans-email sends nothing."""
    payeuse, sans_siren = convention_a_facturer(), convention_a_facturer()
    sans_siren.collectivite.siren = ""
    sans_siren.collectivite.save()
    with pytest.raises(CommandError, match=r"^1 convention non facturée\.$"):
        call_command("issue_titres", "--annee", "2021-2022", "--sans-email")
    sortie = capsys.readouterr()
    titre = TitreDePerception.objects.get()
    assert titre.convention == payeuse
    assert f"Titre n° {titre.numero} – {payeuse.reference} – " in sortie.out
    assert "1 titre émis pour l'année scolaire 2021-2022." in sortie.out
    assert "n'a pas de SIREN" in sortie.err
    assert mailoutbox == []


def test_billing_settings_validate_iban_and_bic():
    """A wrong IBAN key or BIC is refused with a French message; a valid IBAN typed with spaces is stored compact."""
    parametres = ParametresFacturationFactory.build(
        academie=AcademieFactory(), iban="FR76 3000 1007 9412 3456 7890 186"
    )
    parametres.bic = "BDF"
    with pytest.raises(ValidationError) as erreurs:
        parametres.full_clean()
    assert "L'IBAN « FR76 3000 1007 9412 3456 7890 186 » est invalide" in str(erreurs.value)
    assert "Le BIC « BDF » est invalide" in str(erreurs.value)
    parametres.iban, parametres.bic = "fr76 3000 1007 9412 3456 7890 185", "bdfefrppcct"
    parametres.full_clean()
    assert (parametres.iban, parametres.bic) == ("FR7630001007941234567890185", "BDFEFRPPCCT")
    assert parametres.iban_affiche == "FR76 3000 1007 9412 3456 7890 185"


@pytest.mark.parametrize(
    "emission, echeance_attendue",
    [
        (datetime.date(2022, 10, 2), datetime.date(2022, 11, 2)),  # 1 November 2022, All Saints' Day: the next day
        (datetime.date(2022, 3, 5), datetime.date(2022, 4, 4)),  # Monday 4 April, a working day: unchanged
        (datetime.date(2022, 3, 3), datetime.date(2022, 4, 4)),  # Saturday 2 April: the Monday
        (datetime.date(2022, 4, 15), datetime.date(2022, 5, 16)),  # Sunday 15 May: the Monday
        (datetime.date(2021, 12, 14), datetime.date(2022, 1, 13)),  # across the new year, no holiday
        (datetime.date(2022, 6, 14), datetime.date(2022, 7, 15)),  # Thursday 14 July, Bastille Day: the Friday
    ],
)
def test_a_due_date_never_falls_on_a_weekend_or_a_public_holiday(emission, echeance_attendue):
    """Thirty days after issue, moved to the next working day (article 642 of the code de procédure civile)."""
    titre = emettre_titre(convention_a_facturer(), date_emission=emission)
    assert titre.date_echeance == echeance_attendue
