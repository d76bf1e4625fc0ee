"""The communes import: INSEE's COG commune file and the composition of the EPCI, checked, atomic, idempotent."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from stdnum.fr import siren

from collectivites.importers import PLACEHOLDER, importer_communes
from collectivites.models import Collectivite, Commune
from jobs.tabular import FichierIllisible
from tests.factories import CollectiviteFactory, CommuneFactory

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"
COG = DATA / "cog_communes_aude.csv"
COG_ABIME = DATA / "cog_abime.csv"
EPCI = DATA / "epci_composition_aude.csv"
EPCI_NATURE = DATA / "epci_avec_nature.csv"
EPCI_ABIME = DATA / "epci_abime.csv"
RLCM = "200035715"  # CC Région Lézignanaise, Corbières et Minervois
MEMBRES_RLCM = {"11140", "11203", "11260", "11351"}


def etat_base():
    return (
        list(Commune.objects.values().order_by("code_insee")),
        list(Collectivite.objects.values().order_by("pk")),
        Commune.history.count() + Collectivite.history.count(),
    )


# --- COG -------------------------------------------------------------------------------------------------------


def test_cog_cree_les_communes_et_saute_les_deleguees():
    """The COG creates its communes (TYPECOM COM) with their département; délégués and arrondissements are skipped."""
    rapport = importer_communes(COG)

    assert (rapport.format, rapport.lues, rapport.creees, rapport.lignes_rejetees) == (
        "communes du Code officiel géographique (INSEE)",
        11,
        9,
        0,
    )
    assert rapport.ignorees == {
        "Commune déléguée (TYPECOM COMD)": 1,
        "Arrondissement municipal (TYPECOM ARM)": 1,
    }
    assert Commune.objects.get(code_insee="11260").nom == "Mouthoumet"
    assert Commune.objects.get(code_insee="11203").nom == "Lézignan-Corbières"
    assert Commune.objects.get(code_insee="11351").nom == "Saint-Laurent-de-la-Cabrerisse"
    assert dict(Commune.objects.filter(code_insee__in=["2A004", "97101"]).values_list("code_insee", "departement")) == {
        "2A004": "2A",
        "97101": "971",
    }
    assert not Commune.objects.filter(code_insee__in=["74268", "13201"]).exists()
    assert Commune.history.filter(history_type="+").count() == 9


def test_cog_deux_fois_ne_change_rien():
    """Importing the COG again creates and changes nothing."""
    importer_communes(COG)
    avant = etat_base()

    rapport = importer_communes(COG)

    assert (rapport.creees, rapport.modifiees, rapport.inchangees) == (0, 0, 9)
    assert etat_base() == avant


def test_cog_corrige_le_nom_venu_d_un_fichier_d_ecoles():
    """ "MOUTHOUMET" (created by a schools import) takes its official name; the history says by which file."""
    mouthoumet = CommuneFactory(code_insee="11260", nom="MOUTHOUMET")

    rapport = importer_communes(COG)

    mouthoumet.refresh_from_db()
    assert mouthoumet.nom == "Mouthoumet"
    assert rapport.modifiees == 1
    assert rapport.modifications == ["11260 : nom « MOUTHOUMET » → « Mouthoumet »"]
    derniere = mouthoumet.history.first()
    assert (
        derniere.history_change_reason
        == "Import communes du Code officiel géographique (INSEE) (cog_communes_aude.csv)"
    )


def test_cog_filtre_par_departement():
    """--departement keeps one département's communes."""
    rapport = importer_communes(COG, departement="2A")

    assert list(Commune.objects.values_list("code_insee", flat=True)) == ["2A004"]
    assert rapport.ignorees["Hors du département 2A"] == 8


def test_cog_abime_n_importe_rien_et_dit_pourquoi():
    """Lost leading zeros, an inconsistent département and a missing name are each reported; nothing is written."""
    avant = etat_base()

    rapport = importer_communes(COG_ABIME)

    assert rapport.lignes_rejetees == 3
    assert [(r.ligne, r.colonne, r.valeur) for r in rapport.rejets] == [
        (2, "COM", "1053"),
        (2, "DEP", "1"),
        (3, "DEP", "34"),
        (4, "LIBELLE", ""),
    ]
    assert "le code INSEE a perdu son zéro initial (« 01053 » attendu)" in rapport.rejets[0].motif
    assert "le département a perdu son zéro initial (« 01 » attendu)" in rapport.rejets[1].motif
    assert "ce département ne correspond pas au code commune 11203" in rapport.rejets[2].motif
    assert "valeur obligatoire manquante (nom de la commune)" in rapport.rejets[3].motif
    assert etat_base() == avant


# --- Composition of the EPCI -----------------------------------------------------------------------------------


def test_siren_de_la_cc_region_lezignanaise_est_valide():
    """The SIREN used for the CC Région Lézignanaise has a valid key."""
    assert siren.is_valid(RLCM)


def test_epci_cree_le_groupement_et_y_rattache_les_communes():
    """The composition file creates the CC as a collectivité, marked to complete, and links its communes."""
    importer_communes(COG)

    rapport = importer_communes(EPCI)

    assert rapport.format == "composition communale des EPCI (INSEE)"
    assert (rapport.lues, rapport.modifiees, rapport.groupements_crees, rapport.lignes_rejetees) == (7, 6, 2, 0)
    assert rapport.ignorees == {"Commune sans intercommunalité (EPCI ZZZZZZZZZ)": 1}
    cc = Collectivite.objects.get(siren=RLCM)
    assert (cc.nom, cc.type, cc.departement, cc.commune) == (
        "CC Région Lézignanaise, Corbières et Minervois",
        Collectivite.Type.COMMUNAUTE_COMMUNES,
        "11",
        None,
    )
    assert (cc.adresse, cc.ville, cc.representant_nom, cc.representant_qualite) == (
        PLACEHOLDER,
        PLACEHOLDER,
        PLACEHOLDER,
        "Président",
    )
    assert "à compléter" in cc.notes and "epci_composition_aude.csv" in cc.notes
    assert set(cc.communes_membres.values_list("code_insee", flat=True)) == MEMBRES_RLCM
    assert set(cc.communes_couvertes().values_list("code_insee", flat=True)) == MEMBRES_RLCM
    assert Collectivite.objects.get(siren="200000016").type == Collectivite.Type.COMMUNAUTE_AGGLOMERATION
    assert (
        Commune.objects.get(code_insee="11203")
        .history.first()
        .history_change_reason.startswith("Import composition communale des EPCI")
    )
    assert not Commune.objects.filter(code_insee="29083").exists()


def test_epci_deux_fois_ne_change_rien():
    """Importing the composition again creates and changes nothing, not even a second grouping."""
    importer_communes(EPCI)
    avant = etat_base()

    rapport = importer_communes(EPCI)

    assert (rapport.creees, rapport.modifiees, rapport.groupements_crees, rapport.inchangees) == (0, 0, 0, 6)
    assert etat_base() == avant


def test_epci_cree_les_communes_manquantes():
    """Without the COG first, the composition creates the missing communes with their INSEE name, linked."""
    rapport = importer_communes(EPCI)

    assert rapport.creees == 6
    lezignan = Commune.objects.get(code_insee="11203")
    assert (lezignan.nom, lezignan.departement, lezignan.groupement.siren) == ("Lézignan-Corbières", "11", RLCM)
    assert lezignan.history.count() == 1


def test_epci_existant_n_est_ni_renomme_ni_duplique():
    """A grouping already known by its SIREN is reused as the agents named it."""
    cc = CollectiviteFactory(groupement=True, siren=RLCM, nom="Communauté de communes RLCM")

    importer_communes(EPCI)

    cc.refresh_from_db()
    assert cc.nom == "Communauté de communes RLCM"
    assert Collectivite.objects.filter(siren=RLCM).count() == 1
    assert set(cc.communes_membres.values_list("code_insee", flat=True)) == MEMBRES_RLCM


def test_commune_qui_change_de_groupement():
    """A commune that moved to another EPCI is updated and the change noted; a syndicat's commune keeps its link."""
    ancienne = CollectiviteFactory(groupement=True, nom="CC Corbières en Minervois")
    syndicat = CollectiviteFactory(groupement=True, type=Collectivite.Type.SYNDICAT, nom="SIVU des Corbières")
    CommuneFactory(code_insee="11203", nom="Lézignan-Corbières", groupement=ancienne)
    CommuneFactory(code_insee="11260", nom="Mouthoumet", groupement=syndicat)

    rapport = importer_communes(EPCI)

    assert Commune.objects.get(code_insee="11203").groupement.siren == RLCM
    assert (
        "11203 : groupement « CC Corbières en Minervois » → « CC Région Lézignanaise, Corbières et Minervois »"
        in rapport.modifications
    )
    assert Commune.objects.get(code_insee="11260").groupement == syndicat
    assert rapport.ignorees["Commune rattachée à un syndicat : rattachement conservé"] == 1


def test_nature_epci_donne_le_type():
    """NATURE_EPCI (CA, CC) gives the grouping's type when the name does not tell it; commas are read too."""
    importer_communes(EPCI_NATURE)

    assert Collectivite.objects.get(siren="200000024").type == Collectivite.Type.COMMUNAUTE_AGGLOMERATION
    assert Collectivite.objects.get(siren="200000032").type == Collectivite.Type.COMMUNAUTE_COMMUNES


def test_siren_d_une_commune_refuse_comme_groupement():
    """An EPCI code that is the SIREN of a commune's collectivité is rejected, not turned into a grouping."""
    CollectiviteFactory(siren="200000016", nom="Commune de Bages")

    rapport = importer_communes(EPCI)

    assert rapport.annule
    assert {r.ligne for r in rapport.rejets} == {2, 6}
    assert "qui est une commune, pas un groupement" in rapport.rejets[0].motif
    assert not Collectivite.objects.filter(siren=RLCM).exists()


def test_epci_abime_n_importe_rien_et_dit_pourquoi():
    """A SIREN in scientific notation or with a wrong key, a lost zero, a missing name: each reported, none written."""
    avant = etat_base()

    rapport = importer_communes(EPCI_ABIME)

    assert [(r.ligne, r.colonne, r.valeur) for r in rapport.rejets] == [
        (2, "EPCI", "2,00036E+08"),
        (3, "EPCI", "200035716"),
        (4, "CODGEO", "1024"),
        (5, "LIBEPCI", ""),
    ]
    assert "le SIREN est écrit en notation scientifique" in rapport.rejets[0].motif
    assert "Le SIREN « 200035716 » est invalide" in rapport.rejets[1].motif
    assert "perdu son zéro initial (« 01024 » attendu)" in rapport.rejets[2].motif
    assert "valeur obligatoire manquante (nom de l'EPCI)" in rapport.rejets[3].motif
    assert etat_base() == avant


def test_fichier_non_reconnu(tmp_path):
    """A file that is neither the COG nor the composition of the EPCI gets one clear message."""
    path = tmp_path / "ecoles.csv"
    path.write_text("UAI;Nom_etablissement;Code_commune\n0110422Z;Ecole;11260\n", encoding="utf-8")

    with pytest.raises(FichierIllisible, match="ne contient aucune des colonnes attendues pour les communes"):
        importer_communes(path)


def test_commande_import_communes():
    """import_communes prints the report, and fails with the rejected rows listed."""
    out = StringIO()
    call_command("import_communes", str(COG), stdout=out)
    assert "Communes créées : 9" in out.getvalue()

    out = StringIO()
    with pytest.raises(CommandError, match="Import annulé"):
        call_command("import_communes", str(EPCI_ABIME), stdout=out)
    assert "Ligne 3, colonne « EPCI », valeur « 200035716 »" in out.getvalue()
