"""A school that the Ministry's file closes stays in the conventions already signed and joins no new one."""

from pathlib import Path

import pytest

from conventions.models import Convention
from conventions.services import TransitionInterdite, choisir_ecoles, creer_convention
from ecoles.importers import importer_ecoles
from ecoles.models import Ecole
from tests.factories import AnneeScolaireFactory, CollectiviteFactory, ConventionFactory

pytestmark = pytest.mark.django_db

IPS = Path(__file__).parent / "data" / "ministere" / "ips-ecoles-aude-2021-2022.csv"
ENTETE = (
    "Identifiant_de_l_etablissement;Nom_etablissement;Type_etablissement;Statut_public_prive;Code_postal;"
    "Code_commune;Nom_commune;Code_departement;Ecole_maternelle;Ecole_elementaire;etat;code_nature;libelle_nature"
)


def annuaire_suivant(tmp_path, etat: str) -> Path:
    """Next year's annuaire, in which Mouthoumet's school has the given state."""
    path = tmp_path / "annuaire-2022.csv"
    path.write_text(
        f"{ENTETE}\n0110422Z;Ecole primaire;Ecole;Public;11330;11260;Mouthoumet;011;1;1;{etat};151;"
        "ECOLE DE NIVEAU ELEMENTAIRE\n",
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize(("etat_fichier", "etat"), [("A FERMER", Ecole.Etat.A_FERMER), ("FERME", Ecole.Etat.FERMEE)])
def test_ecole_qui_ferme_garde_sa_place_mais_ne_peut_plus_etre_inscrite(tmp_path, etat_fichier, etat):
    """After the import closes 0110422Z, the signed 2021-2022 convention still lists it; a 2022-2023 one cannot."""
    importer_ecoles(IPS)
    mouthoumet = Ecole.objects.get(uai="0110422Z")
    collectivite = CollectiviteFactory(commune=mouthoumet.commune, nom="Commune de Mouthoumet")
    signee = ConventionFactory(collectivite=collectivite, signee=True, ecoles=[mouthoumet])

    rapport = importer_ecoles(annuaire_suivant(tmp_path, etat_fichier))

    assert (rapport.modifiees, rapport.lignes_rejetees) == (1, 0)
    mouthoumet.refresh_from_db()
    assert mouthoumet.etat == etat
    signee.refresh_from_db()
    assert signee.etat == Convention.Etat.SIGNEE
    assert list(signee.inscriptions.values_list("ecole__uai", flat=True)) == ["0110422Z"]

    nouvelle = creer_convention(AnneeScolaireFactory(libelle="2022-2023"), collectivite)
    assert mouthoumet not in nouvelle.ecoles_proposables()
    with pytest.raises(TransitionInterdite, match="fermée, à fermer ou privée"):
        choisir_ecoles(nouvelle, [mouthoumet])
    assert not nouvelle.inscriptions.exists()


def test_ecole_absente_du_nouveau_fichier_reste_inscrite(tmp_path):
    """A school that disappears from the file is reported, and stays registered in its signed convention."""
    importer_ecoles(IPS)
    mouthoumet = Ecole.objects.get(uai="0110422Z")
    signee = ConventionFactory(
        collectivite=CollectiviteFactory(commune=mouthoumet.commune), signee=True, ecoles=[mouthoumet]
    )
    sans_mouthoumet = tmp_path / "ips-sans-mouthoumet.csv"
    sans_mouthoumet.write_text(
        "".join(line for line in IPS.read_text(encoding="utf-8").splitlines(keepends=True) if "0110422Z" not in line),
        encoding="utf-8",
    )

    rapport = importer_ecoles(sans_mouthoumet)

    assert rapport.absentes == ["0110422Z"]
    assert signee.inscriptions.filter(ecole=mouthoumet).exists()
    assert Ecole.objects.filter(uai="0110422Z").exists()
