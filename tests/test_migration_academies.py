"""A deployment of one académie migrates in place to the académie as tenant (issue 17): every row gets its académie.

The database is taken back to the migrations before the tenant, filled as a deployment of that time was (an
académie, its years, collectivités, conventions, titres and their counter, an agent), then migrated forward.
"""

import datetime
from contextlib import nullcontext
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.conftest import accorder_droits_application, en_proprietaire, non_proprietaire

AVANT = [
    ("collectivites", "0007_types_enregistres"),
    ("conventions", "0010_academie_identite"),
    ("facturation", "0007_titre_emetteur_logo"),
]

pytestmark = pytest.mark.django_db(transaction=True)


def _migrer(cibles):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(cibles)
    return executor.loader.project_state(cibles).apps


def _remplir(apps) -> dict:
    """Rows as a deployment of one académie held them before the tenant."""
    Academie = apps.get_model("conventions", "Academie")
    academie = Academie.objects.create(
        nom="Académie de Montpellier",
        code="11",
        adresse="31, rue de l'Université",
        code_postal="34 064",
        ville="MONTPELLIER Cedex 2",
        ville_signature="Montpellier",
    )
    annee = apps.get_model("conventions", "AnneeScolaire").objects.create(
        academie=academie,
        libelle="2021-2022",
        tarif_par_ecole=Decimal("50.00"),
        signataire_prenom="Sophie",
        signataire_nom="Béjean",
        signataire_titre="Rectrice",
    )
    Collectivite = apps.get_model("collectivites", "Collectivite")
    collectivites = [
        Collectivite.objects.create(
            nom=f"Commune {dep}",
            departement=dep,
            adresse="Mairie",
            code_postal="11000",
            ville="X",
            representant_prenom="A",
            representant_nom="B",
            representant_qualite="Maire",
        )
        for dep in ("11", "34", "978")
    ]
    convention = apps.get_model("conventions", "Convention").objects.create(
        annee=annee,
        collectivite=collectivites[0],
        reference="ENT-2021-2022-0001",
        etat="signee",
        representant_prenom="A",
        representant_nom="B",
        representant_qualite="Maire",
    )
    apps.get_model("facturation", "CompteurTitres").objects.create(annee_budgetaire=2022)
    compteur = apps.get_model("facturation", "CompteurTitres").objects.get(annee_budgetaire=2022)
    Titre = apps.get_model("facturation", "TitreDePerception")
    champs = {
        field.name: "x"
        for field in Titre._meta.concrete_fields
        if field.get_internal_type() in ("CharField", "TextField")
        and not field.blank
        and field.name not in ("numero", "pdf_sha256")
    }
    titre = Titre.objects.create(
        **champs,
        convention=convention,
        numero="2022-000001",
        annee_budgetaire=2022,
        sequence=1,
        date_emission=datetime.date(2022, 3, 1),
        date_echeance=datetime.date(2022, 3, 31),
        montant=Decimal("50"),
        tarif_par_ecole=Decimal("50"),
        nb_ecoles=1,
        ecoles=[],
        pdf="titres/2022/x.pdf",
        pdf_sha256="0" * 64,
    )
    compteur.dernier_numero = 1
    compteur.save()
    User = apps.get_model("collectivites", "User")
    agent = User.objects.create(email="agent@ac-montpellier.fr", is_staff=True)
    return {"collectivites": collectivites, "titre": titre, "agent": agent, "convention": convention}


@pytest.fixture
def base_avant_tenant():
    """The database at the migrations before the tenant, as the tables' owner migrates it; back to the latest after,
    with the application role's rights on any table the migrations recreated."""
    with en_proprietaire(connection) if non_proprietaire() else nullcontext():
        apps = _migrer(AVANT)
        yield apps
        call_command("migrate", verbosity=0)
        if non_proprietaire():
            accorder_droits_application(connection)


def test_one_academie_deployment_migrates_in_place(base_avant_tenant):
    lignes = _remplir(base_avant_tenant)

    apps = _migrer(MigrationExecutor(connection).loader.graph.leaf_nodes())

    Collectivite = apps.get_model("collectivites", "Collectivite")
    academies = dict(Collectivite.objects.values_list("departement", "academie"))
    assert academies == {"11": "11", "34": "11", "978": "32"}  # Saint-Martin is Guadeloupe's
    titre = apps.get_model("facturation", "TitreDePerception").objects.get(pk=lignes["titre"].pk)
    assert titre.academie.code == "11"
    compteur = apps.get_model("facturation", "CompteurTitres").objects.get()
    assert (compteur.academie.code, compteur.annee_budgetaire, compteur.dernier_numero) == ("11", 2022, 1)
    assert apps.get_model("collectivites", "User").objects.get(pk=lignes["agent"].pk).academies == ["11"]
    # The reference a convention was sent with is kept; the next ones carry the académie's code.
    convention = apps.get_model("conventions", "Convention").objects.get(pk=lignes["convention"].pk)
    assert convention.reference == "ENT-2021-2022-0001"
