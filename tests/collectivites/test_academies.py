"""The table of académies (`collectivites.academies`): the whole territory once, checked against real files."""

import csv
from pathlib import Path

import pytest

from collectivites.academies import (
    ACADEMIES,
    TERRITOIRES,
    academie_de_commune,
    academie_par_code,
    academie_par_nom,
    territoire_de_commune,
)

MINISTERE = Path(__file__).parent.parent / "ecoles" / "data" / "ministere"
CONSTRUIT = Path(__file__).parent.parent / "ecoles" / "data" / "ips_territoires_construit.csv"
METROPOLE = [f"{d:02d}" for d in range(1, 96) if d != 20] + ["2A", "2B"]


def lignes_ips(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fichier:
        return list(csv.DictReader(fichier, delimiter=";"))


@pytest.mark.parametrize(
    "fichier", ["ips-ecoles-aude-2021-2022.csv", "ips-ecoles-ariege-2021-2022.csv"], ids=lambda name: name[11:17]
)
def test_la_table_donne_l_academie_de_chaque_ecole_des_fichiers_reels(fichier):
    """Each school of the Ministry's real IPS files is in the académie its `Académie` column names."""
    lignes = lignes_ips(MINISTERE / fichier)
    assert len(lignes) > 100
    for ligne in lignes:
        academie = academie_de_commune(ligne["Code INSEE de la commune"])
        assert academie == academie_par_nom(ligne["Académie"]), ligne["UAI"]
        assert ligne["UAI"].startswith(territoire_de_commune(ligne["Code INSEE de la commune"]).prefixe_uai)


def test_la_table_et_l_extrait_construit_d_outre_mer_et_de_corse():
    """The constructed rows (Corsica, each DROM, Saint-Barthélemy and Saint-Martin under Guadeloupe, Mayotte,
    Saint-Pierre-et-Miquelon) agree with the table: académie and UAI prefix."""
    attendu = {
        "2A004": ("27", "620"),
        "2B033": ("27", "720"),
        "97101": ("32", "971"),
        "97701": ("32", "971"),
        "97801": ("32", "971"),
        "97209": ("31", "972"),
        "97302": ("33", "973"),
        "97411": ("28", "974"),
        "97502": ("44", "975"),
        "97611": ("43", "976"),
    }
    lignes = lignes_ips(CONSTRUIT)
    assert {ligne["Code INSEE de la commune"] for ligne in lignes} == set(attendu)
    for ligne in lignes:
        territoire = territoire_de_commune(ligne["Code INSEE de la commune"])
        assert (territoire.academie.code, territoire.prefixe_uai) == attendu[ligne["Code INSEE de la commune"]]
        assert territoire.academie == academie_par_nom(ligne["Académie"])
        assert ligne["UAI"].startswith(territoire.prefixe_uai)


def test_chaque_departement_releve_d_une_seule_academie():
    """The 96 metropolitan départements and the 8 overseas territories each appear once; Pacific ones do not."""
    territoires = [t for a in ACADEMIES.values() for t in a.territoires]
    assert len(territoires) == len(set(territoires)) == len(TERRITOIRES)
    assert set(territoires) == set(METROPOLE) | {"971", "972", "973", "974", "975", "976", "977", "978"}
    assert [academie_de_commune(code) for code in ("98818", "98735", "98611")] == [None, None, None]


@pytest.mark.parametrize(
    ("code", "nom"),
    [
        ("01", "Paris"),
        ("11", "Montpellier"),
        ("16", "Toulouse"),
        ("27", "Corse"),
        ("28", "La Réunion"),
        ("31", "Martinique"),
        ("32", "Guadeloupe"),
        ("33", "Guyane"),
        ("43", "Mayotte"),
        ("44", "Saint-Pierre-et-Miquelon"),
        ("70", "Normandie"),
    ],
)
def test_codes_officiels_des_academies(code, nom):
    """The Ministry's académie codes (Code_academie of the Annuaire de l'éducation), overseas included."""
    assert ACADEMIES[code].nom == nom
    assert academie_par_code(code) == academie_par_nom(nom.upper()) == ACADEMIES[code]


@pytest.mark.parametrize(
    ("nom", "code"),
    [("ORLEANS-TOURS", "18"), ("académie de Nancy-Metz", "12"), ("LA REUNION", "28"), ("Réunion", "28")],
)
def test_noms_d_academie_tels_que_les_fichiers_les_ecrivent(nom, code):
    assert academie_par_nom(nom).code == code


def test_codes_inconnus():
    assert academie_par_code("05") is None  # Caen, merged into Normandie (70) in 2020
    assert academie_par_nom("Caen") is None
    assert academie_par_code("onze") is None
