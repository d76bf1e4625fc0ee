"""An import run in the background (collectivites.imports_fichiers): recorded with its report, atomic, idempotent."""

import json
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from collectivites import imports_fichiers
from collectivites.importers import importer_communes
from collectivites.models import Collectivite, Commune, ImportFichier
from jobs.tabular import RapportImport
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"
COG = DATA / "cog_communes_aude.csv"
EPCI = DATA / "epci_composition_aude.csv"
EPCI_ABIME = DATA / "epci_abime.csv"


def etat_base():
    return (
        list(Commune.objects.values().order_by("code_insee")),
        list(Collectivite.objects.values().order_by("pk")),
        Commune.history.count() + Collectivite.history.count(),
    )


def import_enregistre(path: Path, simulation: bool = False, **options) -> ImportFichier:
    """A run recorded with its stored file, not queued: the test runs it itself."""
    import_ = ImportFichier(
        type=ImportFichier.Type.COMMUNES,
        nom_fichier=path.name,
        simulation=simulation,
        options=options,
        lance_par=UserFactory(email="referentiel@ac-montpellier.fr", is_staff=True),
    )
    import_.fichier.save("depose.csv", ContentFile(path.read_bytes()), save=False)
    import_.save()
    return import_


def test_le_rapport_survit_au_json():
    """The report stored as JSON reads back as the same report: counts, skipped reasons, rejected lines."""
    rapport = importer_communes(EPCI_ABIME, ignorer_invalides=True)
    assert rapport.rejets and rapport.lignes_rejetees

    relu = RapportImport.depuis_json(json.loads(json.dumps(rapport.vers_json())))

    assert relu.lignes() == rapport.lignes()
    assert relu.compteurs() == rapport.compteurs()


def test_l_import_est_enregistre_avec_son_rapport():
    """A real run writes the communes in the name of who launched it, and records its state, times and report."""
    import_ = import_enregistre(COG)

    imports_fichiers.executer(import_.pk)

    import_.refresh_from_db()
    assert import_.etat == ImportFichier.Etat.TERMINE
    assert import_.commence_le <= import_.termine_le
    assert (import_.rapport["creees"], import_.rapport["lues"], import_.erreur) == (9, 11, "")
    assert Commune.objects.count() == 9
    assert Commune.history.filter(history_user=import_.lance_par).count() == 9


def test_un_apercu_n_enregistre_rien_mais_compte():
    """A preview runs the whole import and rolls it back: the counts are there, the database is unchanged."""
    import_ = import_enregistre(COG, simulation=True)

    imports_fichiers.executer(import_.pk)

    import_.refresh_from_db()
    assert (import_.etat, import_.rapport["creees"]) == (ImportFichier.Etat.TERMINE, 9)
    assert imports_fichiers.est_confirmable(import_)
    assert not Commune.objects.exists()


def test_un_fichier_abime_ne_change_rien_et_nomme_sa_ligne():
    """A real run of a file with a rejected row fails, names the first rejected line, and writes nothing at all."""
    importer_communes(COG)
    avant = etat_base()
    import_ = import_enregistre(EPCI_ABIME)

    imports_fichiers.executer(import_.pk)

    import_.refresh_from_db()
    assert import_.etat == ImportFichier.Etat.ECHEC
    assert import_.erreur.startswith(
        "Import annulé, rien n'a été enregistré : le fichier contient des lignes rejetées (4). Première erreur : "
        "Ligne 2, colonne « EPCI », valeur « 2,00036E+08 » : le SIREN est écrit en notation scientifique"
    )
    assert [rejet["ligne"] for rejet in import_.rapport["rejets"]] == [2, 3, 4, 5]
    assert etat_base() == avant


def test_une_seconde_execution_ne_refait_rien():
    """A message delivered twice: the second run finds the import done and leaves its report as it is."""
    import_ = import_enregistre(EPCI)
    imports_fichiers.executer(import_.pk)
    import_.refresh_from_db()
    apres = etat_base()

    assert imports_fichiers.executer(import_.pk) is None

    relu = ImportFichier.objects.get(pk=import_.pk)
    assert (relu.rapport, relu.termine_le) == (import_.rapport, import_.termine_le)
    assert relu.rapport["groupements_crees"] == 2
    assert etat_base() == apres


def test_fichier_disparu_du_stockage():
    """A file removed from the storage before the run: a failure that says so, not a run stuck « en cours »."""
    import_ = import_enregistre(COG)
    default_storage.delete(import_.fichier.name)

    imports_fichiers.executer(import_.pk)

    import_.refresh_from_db()
    assert import_.etat == ImportFichier.Etat.ECHEC
    assert import_.erreur == (
        "Le fichier déposé « cog_communes_aude.csv » est introuvable dans le stockage : déposez-le à nouveau."
    )
    assert not Commune.objects.exists()


def test_erreur_inattendue_enregistree(caplog):
    """Any other error ends the run as a failure with its kind, logged for the developers."""
    import_ = import_enregistre(COG, option_inconnue=True)

    imports_fichiers.executer(import_.pk)

    import_.refresh_from_db()
    assert import_.etat == ImportFichier.Etat.ECHEC
    assert import_.erreur.startswith("Erreur inattendue (TypeError) : ")
    assert f"Échec de l'import de fichier n° {import_.pk}" in caplog.text
    assert not Commune.objects.exists()
