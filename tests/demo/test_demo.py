"""`load_demo`: the seed convention exactly as signed in 2021, a realistic Aude around it, and idempotence."""

import datetime
import io
from decimal import Decimal

import pikepdf
import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.urls import reverse

from collectivites.models import Collectivite, User
from conventions.documents import convention_pdf
from conventions.models import Convention
from ecoles.models import Ecole
from facturation.models import TitreDePerception
from tests.conventions.pdf_support import printed_text

PROJECT_APPS = {"collectivites", "ecoles", "conventions", "facturation"}


def counts():
    return {
        model._meta.label: model.objects.count() for model in apps.get_models() if model._meta.app_label in PROJECT_APPS
    }


@pytest.fixture(scope="module")
def demo_loaded(django_db_setup, django_db_blocker, tmp_path_factory):
    """Loads the demo once for this module (it renders ~30 PDFs), inside a transaction rolled back at the end; its
    files in a folder of the module's. Yields that folder."""
    media = tmp_path_factory.mktemp("demo") / "media"
    with django_db_blocker.unblock(), transaction.atomic(), override_settings(MEDIA_ROOT=media):
        call_command("load_demo", stdout=io.StringIO())
        yield media
        transaction.set_rollback(True)


@pytest.fixture
def demo(demo_loaded, db, settings):
    """Each test runs in a savepoint inside the module's transaction, so what it changes is undone."""
    settings.MEDIA_ROOT = demo_loaded


def test_seed_convention_reads_its_date_of_signature(demo):
    """The signed 2021-2022 Mouthoumet convention reads as the seed: « A Montpellier, le treize septembre 2021 »."""
    convention = Convention.objects.get(annee__libelle="2021-2022", commune__code_insee="11260")
    pdf = convention_pdf(convention)[2]
    assert "A Montpellier, le treize septembre 2021" in "".join(printed_text(pdf))


def test_carcassonne_agglos_titre_carries_the_chorus_pro_fields(demo):
    """The demo shows a titre as Chorus Pro receives it: the debtor's SIRET, service code and engagement number,
    printed and in the Factur-X XML."""
    titre = TitreDePerception.objects.get(debiteur_nom="Carcassonne Agglo", annee_scolaire="2021-2022")
    assert titre.debiteur_siret.startswith(titre.debiteur_siren) and len(titre.debiteur_siret) == 14
    with titre.pdf.open("rb") as stored, pikepdf.open(io.BytesIO(stored.read())) as pdf:
        xml = pdf.attachments["factur-x.xml"].get_file().read_bytes()
    assert b"<ram:BuyerReference>DIR-FINANCES</ram:BuyerReference>" in xml
    assert b"<ram:IssuerAssignedID>EJ-2021-000482</ram:IssuerAssignedID>" in xml
    assert titre.debiteur_siret.encode() in xml


def test_load_demo_twice_leaves_the_same_counts(demo):
    """A second run creates and changes nothing, history rows included."""
    first = counts()
    call_command("load_demo", stdout=io.StringIO())
    assert counts() == first


def test_seed_convention_is_there_as_signed(demo):
    """The 2021-2022 Mouthoumet convention carries the seed's values, with one school and 50,00 €."""
    convention = Convention.objects.get(annee__libelle="2021-2022", commune__code_insee="11260")
    academie = convention.academie
    assert (academie.nom, academie.adresse_complete) == (
        "Académie de Montpellier",
        "31, rue de l'Université 34 064 - MONTPELLIER Cedex 2",
    )
    assert convention.annee.signataire == "Sophie Béjean"
    assert convention.annee.signataire_titre.startswith("Rectrice de la région académique Occitanie")
    assert convention.collectivite.nom == "Communauté de Communes Région Lézignanaise Corbières et Minervois"
    assert convention.collectivite.adresse_complete == "48 avenue Charles Cros 11200 Lézignan-Corbières"
    assert convention.representant == "Monsieur André HERNANDEZ"
    assert convention.representant_qualite == "Président"
    assert convention.commune.nom == "Mouthoumet"
    assert [i.ecole.uai for i in convention.inscriptions.all()] == ["0110422Z"]
    assert convention.participation == Decimal("50.00")
    assert (convention.etat, convention.date_signature, convention.lieu_signature) == (
        Convention.Etat.SIGNEE,
        datetime.date(2021, 9, 13),
        "Montpellier",
    )


def test_demo_is_realistic(demo):
    """At least 20 collectivités with two groupings (one per commune), two years, every state, 1 and >15 schools."""
    assert Collectivite.objects.count() >= 20
    groupings = Collectivite.objects.exclude(type=Collectivite.Type.COMMUNE)
    assert groupings.count() >= 2
    assert groupings.filter(conventions_par_commune=True).exists()
    # Two years of Montpellier, one of Toulouse: two académies, each with its own campaign and titre numbers.
    campagnes = Convention.objects.order_by().values_list("annee__academie__code", "annee__libelle").distinct()
    assert sorted(campagnes) == [
        ("11", "2021-2022"),
        ("11", "2022-2023"),
        ("16", "2022-2023"),
    ]
    toulouse = Convention.objects.filter(annee__academie__code="16")
    assert set(toulouse.values_list("etat", flat=True)) == {"brouillon", "envoyee", "signee"}
    assert Ecole.objects.filter(academie="16").count() == 113
    assert TitreDePerception.objects.get(academie__code="16").numero == "2022-000001"
    agents_toulouse = User.objects.filter(email__endswith="@ac-toulouse.fr")
    assert [agent.academies for agent in agents_toulouse] == [["16"], ["16"]]
    assert set(Convention.objects.values_list("etat", flat=True)) == set(Convention.Etat.values)
    schools = set(Convention.objects.with_nb_ecoles().values_list("nb_ecoles_annot", flat=True))
    assert 1 in schools
    assert max(schools) > 15
    generated = Collectivite.objects.filter(notes__contains="SIREN généré")
    assert generated.count() == Collectivite.objects.count()


def test_admin_shows_the_seed_convention(demo, client, agent_gestion):
    """The admin's change page of the seed convention shows its school and a participation of 50,00 €."""
    convention = Convention.objects.get(annee__libelle="2021-2022", commune__code_insee="11260")
    client.force_login(agent_gestion)
    page = client.get(reverse("admin:conventions_convention_change", args=[convention.pk])).content.decode()
    assert "0110422Z" in page
    assert "50,00\u00a0€" in page
