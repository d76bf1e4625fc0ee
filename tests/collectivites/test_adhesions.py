"""EPCI membership by year: the EPCI import dates each commune's membership; a convention lists the members of its
own school year; next year's preparation flags a grouping whose members changed."""

import datetime
from pathlib import Path

import pytest

from collectivites.importers import importer_communes
from collectivites.models import Adhesion, Collectivite, Commune
from conventions.annees import preparer_annee
from conventions.documents import convention_pdf
from documents.formats import majuscules
from tests.conventions.pdf_support import loaded, one_line, pages_text
from tests.factories import AnneeScolaireFactory, CollectiviteFactory, CommuneFactory, ConventionFactory, EcoleFactory

pytestmark = pytest.mark.django_db

EPCI = Path(__file__).parent / "data" / "epci_composition_aude.csv"
JANVIER_2021, JANVIER_2023 = datetime.date(2021, 1, 1), datetime.date(2023, 1, 1)


def test_la_composition_est_datee_et_chaque_annee_a_ses_membres(tmp_path):
    """Imported as of 1 January 2021, then as of 1 January 2023 with Mouthoumet in another EPCI: each school year
    sees the members of its own rentrée."""
    importer_communes(EPCI, date_effet=JANVIER_2021)
    mouthoumet = Commune.objects.get(code_insee="11260")
    cc = mouthoumet.groupement
    membres_2021 = set(cc.communes_couvertes(au=datetime.date(2021, 9, 1)))
    assert mouthoumet in membres_2021
    assert Adhesion.objects.get(commune=mouthoumet).date_debut == JANVIER_2021

    # The file of 2023 puts Mouthoumet in another EPCI.
    autre = Collectivite.objects.exclude(pk=cc.pk).filter(type__in=["cc", "ca"]).first()
    texte = EPCI.read_text(encoding="utf-8")
    ligne = next(ligne for ligne in texte.splitlines() if ligne.startswith("11260"))
    nouvelle = ligne.replace(cc.siren, autre.siren).replace(cc.nom, autre.nom)
    fichier_2023 = tmp_path / "epci-2023.csv"
    fichier_2023.write_text(texte.replace(ligne, nouvelle), encoding="utf-8")
    importer_communes(fichier_2023, date_effet=JANVIER_2023)

    assert mouthoumet not in set(cc.communes_couvertes(au=datetime.date(2023, 9, 1)))
    assert mouthoumet in set(cc.communes_couvertes(au=datetime.date(2022, 9, 1)))
    assert mouthoumet in set(autre.communes_couvertes(au=datetime.date(2023, 9, 1)))
    fermee = Adhesion.objects.get(commune=mouthoumet, groupement=cc)
    assert (fermee.date_debut, fermee.date_fin) == (JANVIER_2021, JANVIER_2023)


def _mouthoumet_quitte_sa_communaute_en_2023(tmp_path) -> tuple[Commune, Collectivite]:
    """The EPCI file as of 1 January 2021, then the same as of 1 January 2023 with Mouthoumet in another EPCI:
    Mouthoumet and the communauté it left."""
    importer_communes(EPCI, date_effet=JANVIER_2021)
    mouthoumet = Commune.objects.get(code_insee="11260")
    cc = mouthoumet.groupement
    autre = Collectivite.objects.exclude(pk=cc.pk).filter(type__in=["cc", "ca"]).first()
    texte = EPCI.read_text(encoding="utf-8")
    ligne = next(ligne for ligne in texte.splitlines() if ligne.startswith("11260"))
    fichier_2023 = tmp_path / "epci-2023.csv"
    fichier_2023.write_text(texte.replace(ligne, ligne.replace(cc.siren, autre.siren)), encoding="utf-8")
    importer_communes(fichier_2023, date_effet=JANVIER_2023)
    return mouthoumet, cc


def test_la_preparation_signale_les_membres_changes(tmp_path):
    """A grouping signing for all its communes: its convention of 2023-2024 follows the new composition, and the
    preparation report names the commune that left."""
    mouthoumet, cc = _mouthoumet_quitte_sa_communaute_en_2023(tmp_path)
    annee = AnneeScolaireFactory(libelle="2022-2023")
    EcoleFactory(uai="0110422Z", commune=mouthoumet)
    ConventionFactory(annee=annee, collectivite=cc, signee=True, ecoles=[mouthoumet.ecoles.get()])

    _, _, [reconduction] = preparer_annee("2023-2024", annee)

    assert reconduction.sorties == [mouthoumet]
    assert reconduction.entrees == []
    assert "membres du groupement changés : sortie de Mouthoumet (11260)" in reconduction.resume()
    # Mouthoumet's school is no longer the grouping's to register.
    assert "0110422Z" not in [e.uai for e in reconduction.nouvelle.ecoles_proposables()]


def test_le_pdf_de_chaque_annee_nomme_les_membres_de_sa_rentree(tmp_path):
    """The convention PDF of a grouping signing for all its communes names the members of its own rentrée: Mouthoumet
    in 2022-2023, no longer in 2023-2024 once the file of 2023 moved it to another EPCI."""
    _, cc = _mouthoumet_quitte_sa_communaute_en_2023(tmp_path)
    conventions = [
        ConventionFactory(annee=AnneeScolaireFactory(libelle=libelle), collectivite=cc, ecoles=1)
        for libelle in ("2022-2023", "2023-2024")
    ]

    textes = [one_line(" ".join(pages_text(convention_pdf(loaded(c))[2]))) for c in conventions]

    assert "MOUTHOUMET" in textes[0]
    assert "MOUTHOUMET" not in textes[1]
    # Both name the other members, the same in both years.
    restant = cc.communes_couvertes(au=datetime.date(2023, 9, 1)).order_by("nom").first()
    assert majuscules(restant.nom) in textes[0] and majuscules(restant.nom) in textes[1]


def test_the_sql_and_the_python_date_rules_agree():
    """AdhesionQuerySet.au (the database's rule) and Adhesion.en_vigueur (the same rule on rows in hand) answer the
    same for every day around the edges: the first day counts, the end day is excluded, an open one never ends."""
    groupement = CollectiviteFactory(groupement=True)
    debut, fin = datetime.date(2022, 1, 1), datetime.date(2023, 1, 1)
    adhesions = [
        Adhesion.objects.create(groupement=groupement, commune=CommuneFactory(), date_debut=debut, date_fin=fin),
        Adhesion.objects.create(groupement=groupement, commune=CommuneFactory(), date_debut=debut),
    ]
    for jour in (
        debut - datetime.timedelta(days=1),
        debut,
        fin - datetime.timedelta(days=1),
        fin,
        datetime.date(2040, 1, 1),
    ):
        en_sql = set(Adhesion.objects.au(jour))
        en_python = {adhesion for adhesion in adhesions if adhesion.en_vigueur(jour)}
        assert en_sql == en_python, jour
    assert [a.en_vigueur(fin) for a in adhesions] == [False, True]
