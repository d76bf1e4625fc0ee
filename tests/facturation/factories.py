"""Factories of the facturation app: its settings per académie, and signed conventions ready to bill."""

import datetime
import hashlib
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory
from stdnum import luhn

from collectivites.models import Collectivite
from conventions.models import Convention
from facturation.models import Paiement, ParametresFacturation, Relance, TitreDePerception
from tests.factories import (
    AcademieFactory,
    AnneeScolaireFactory,
    CollectiviteFactory,
    CommuneFactory,
    ConventionFactory,
    EcoleFactory,
)

# Valid check digits, not a real account.
IBAN_TEST = "FR7630001007941234567890185"
BIC_TEST = "BDFEFRPPCCT"
# A SIREN with a valid key for the rectorat (generated, not the real one).
SIREN_RECTORAT = "130021108"


def valid_siret(siren: str, establishment: int = 1) -> str:
    body = f"{siren}{establishment:04d}"
    return body + luhn.calc_check_digit(body)


class ParametresFacturationFactory(DjangoModelFactory):
    class Meta:
        model = ParametresFacturation
        django_get_or_create = ["academie"]

    academie = factory.SubFactory(AcademieFactory)
    ordonnateur_nom = "Sophie Béjean"
    ordonnateur_titre = "Rectrice de la région académique Occitanie, rectrice de l'académie de Montpellier"
    siret = valid_siret(SIREN_RECTORAT)
    comptable_nom = "Direction régionale des finances publiques d'Occitanie et du département de la Haute-Garonne"
    comptable_adresse = "34, rue des Lois\nCS 60001\n31039 TOULOUSE Cedex 9"
    titulaire_compte = "DRFIP OCCITANIE ET HAUTE-GARONNE"
    iban = IBAN_TEST
    bic = BIC_TEST
    # delai_paiement_jours left to the model's default (30 days), which test_emission proves.


def convention_a_facturer(nb_ecoles: int = 1, **kwargs) -> Convention:
    """A signed convention of an académie whose billing settings are filled in: emettre_titre accepts it."""
    kwargs.setdefault("date_signature", datetime.date(2021, 10, 1))
    convention = ConventionFactory(signee=True, ecoles=nb_ecoles, **kwargs)
    ParametresFacturationFactory(academie=convention.annee.academie)
    return convention


def convention_du_seed() -> Convention:
    """The seed convention: the Lézignan grouping, per commune for Mouthoumet, school 0110422Z, signed 13/09/2021."""
    groupement = CollectiviteFactory(
        groupement=True,
        nom="Communauté de Communes Région Lézignanaise Corbières et Minervois",
        adresse="48 avenue Charles Cros",
        code_postal="11200",
        ville="Lézignan-Corbières",
        representant_prenom="André",
        representant_nom="Hernandez",
        conventions_par_commune=True,
        type=Collectivite.Type.COMMUNAUTE_COMMUNES,
    )
    mouthoumet = CommuneFactory(code_insee="11260", nom="Mouthoumet", code_postal="11330", groupement=groupement)
    ecole = EcoleFactory(uai="0110422Z", nom="ECOLE PRIMAIRE", commune=mouthoumet)
    convention = ConventionFactory(
        annee=AnneeScolaireFactory(libelle="2021-2022"),
        collectivite=groupement,
        commune=mouthoumet,
        signee=True,
        date_signature=datetime.date(2021, 9, 13),
        ecoles=[ecole],
    )
    ParametresFacturationFactory(academie=convention.annee.academie)
    return convention


PDF_FACTICE = b"%PDF-1.7\n% titre de test, sans rendu\n%%EOF\n"


class TitreDePerceptionFactory(DjangoModelFactory):
    """A titre row written directly, with a placeholder PDF: for lists and admin pages, where the document does not
    matter and rendering hundreds would be slow. Tests of issuing, numbering and documents use emettre_titre."""

    class Meta:
        model = TitreDePerception

    convention = factory.SubFactory(ConventionFactory, signee=True, date_signature=datetime.date(2021, 10, 1))
    annee_budgetaire = 2022
    # Far from the numbers the service hands out in the same test.
    sequence = factory.Sequence(lambda n: 900000 + n)
    numero = factory.LazyAttribute(lambda o: f"{o.annee_budgetaire}-{o.sequence:06d}")
    date_emission = datetime.date(2022, 3, 1)
    date_echeance = datetime.date(2022, 3, 31)
    montant = Decimal("50.00")
    montant_en_lettres = "cinquante euros"
    objet = "Participation financière à l'ENT-école – année scolaire 2021-2022"
    convention_reference = factory.SelfAttribute("convention.reference")
    convention_date_signature = factory.SelfAttribute("convention.date_signature")
    annee_scolaire = "2021-2022"
    tarif_par_ecole = Decimal("50.00")
    nb_ecoles = 1
    ecoles = factory.LazyFunction(lambda: [{"uai": "0110422Z", "nom": "ECOLE PRIMAIRE"}])
    emetteur_nom = "Académie de Montpellier"
    emetteur_adresse = "31, rue de l'Université"
    emetteur_code_postal = "34 064"
    emetteur_ville = "MONTPELLIER Cedex 2"
    emetteur_siret = valid_siret(SIREN_RECTORAT)
    lieu_emission = "Montpellier"
    ordonnateur_nom = "Sophie Béjean"
    ordonnateur_titre = "Rectrice de l'académie de Montpellier"
    debiteur_nom = factory.SelfAttribute("convention.collectivite.nom")
    debiteur_adresse = factory.SelfAttribute("convention.collectivite.adresse")
    debiteur_code_postal = factory.SelfAttribute("convention.collectivite.code_postal")
    debiteur_ville = factory.SelfAttribute("convention.collectivite.ville")
    debiteur_departement = factory.SelfAttribute("convention.collectivite.departement")
    debiteur_siren = factory.SelfAttribute("convention.collectivite.siren")
    comptable_nom = "DRFiP Occitanie"
    comptable_adresse = "34, rue des Lois 31039 TOULOUSE Cedex 9"
    titulaire_compte = "DRFIP OCCITANIE"
    iban = IBAN_TEST
    bic = BIC_TEST
    pdf_sha256 = hashlib.sha256(PDF_FACTICE).hexdigest()
    pdf = factory.django.FileField(data=PDF_FACTICE, filename="titre.pdf")


class PaiementFactory(DjangoModelFactory):
    class Meta:
        model = Paiement

    titre = factory.SubFactory(TitreDePerceptionFactory)
    date = datetime.date(2022, 3, 15)
    montant = Decimal("20.00")
    moyen = Paiement.Moyen.VIREMENT
    reference = factory.Sequence(lambda n: f"VIR-{n:05d}")


class RelanceFactory(DjangoModelFactory):
    class Meta:
        model = Relance

    titre = factory.SubFactory(TitreDePerceptionFactory)
    destinataires = factory.SelfAttribute("titre.convention.collectivite.email")
    reste_a_payer = Decimal("50.00")
