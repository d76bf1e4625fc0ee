"""Factories of the facturation app: its settings per académie, and signed conventions ready to bill."""

import datetime

import factory
from factory.django import DjangoModelFactory
from stdnum import luhn

from collectivites.models import Collectivite
from conventions.models import Convention
from facturation.models import ParametresFacturation
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
    siret = valid_siret("130021104")
    comptable_nom = "Direction régionale des finances publiques d'Occitanie et du département de la Haute-Garonne"
    comptable_adresse = "34, rue des Lois\nCS 60001\n31039 TOULOUSE Cedex 9"
    titulaire_compte = "DRFIP OCCITANIE ET HAUTE-GARONNE"
    iban = IBAN_TEST
    bic = BIC_TEST
    delai_paiement_jours = 30


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
