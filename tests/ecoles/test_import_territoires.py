"""Every real school of the country imports: the UAI ↔ commune rule and each school's académie follow the table of
académies (Corsica, the DROM, Saint-Martin and Saint-Barthélemy under Guadeloupe, Mayotte, Saint-Pierre-et-Miquelon)."""

import csv
from pathlib import Path

import pytest

from collectivites.models import Commune
from ecoles.importers import importer_ecoles
from ecoles.models import Ecole
from tests.factories import CommuneFactory, EcoleFactory

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"
AUDE = DATA / "ministere" / "ips-ecoles-aude-2021-2022.csv"
ARIEGE = DATA / "ministere" / "ips-ecoles-ariege-2021-2022.csv"
CONSTRUIT = DATA / "ips_territoires_construit.csv"
ACADEMIES_IPS = {"MONTPELLIER": "11", "TOULOUSE": "16", "CORSE": "27", "GUADELOUPE": "32", "MARTINIQUE": "31"}
ACADEMIES_IPS |= {"GUYANE": "33", "LA REUNION": "28", "MAYOTTE": "43", "SAINT-PIERRE-ET-MIQUELON": "44"}


def lignes(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fichier:
        return list(csv.DictReader(fichier, delimiter=";"))


def test_aude_ariege_et_extrait_construit_importent_en_entier():
    """The 229 Aude schools, the 113 Ariège ones and the constructed overseas and Corsican rows import whole, each
    school in its file's commune and in the académie its file names."""
    attendues = lignes(AUDE) + lignes(ARIEGE) + lignes(CONSTRUIT)
    for fichier in (AUDE, ARIEGE, CONSTRUIT):
        rapport = importer_ecoles(fichier)
        assert (rapport.lignes_rejetees, rapport.nb_ignorees, rapport.applique) == (0, 0, True), rapport.rejets

    assert Ecole.objects.count() == len(attendues) == 229 + 113 + 10
    ecoles = {e.uai: e for e in Ecole.objects.select_related("commune")}
    for ligne in attendues:
        ecole = ecoles[ligne["UAI"]]
        assert ecole.commune.code_insee == ligne["Code INSEE de la commune"], ligne["UAI"]
        assert ecole.academie == ACADEMIES_IPS[ligne["Académie"]], ligne["UAI"]


def test_saint_martin_et_saint_barthelemy_sous_la_guadeloupe():
    """UAIs starting with 971 in the communes 97801 and 97701 (collectivités 978 and 977): académie de Guadeloupe."""
    importer_ecoles(CONSTRUIT)

    marigot, gustavia = Ecole.objects.get(uai="9710105M"), Ecole.objects.get(uai="9710104L")
    assert (marigot.commune.code_insee, marigot.commune.departement, marigot.academie) == ("97801", "978", "32")
    assert (gustavia.commune.code_insee, gustavia.commune.departement, gustavia.get_academie_display()) == (
        "97701",
        "977",
        "Guadeloupe",
    )
    assert Ecole.objects.get(uai="6200101R").get_academie_display() == "Corse"
    assert Ecole.objects.get(uai="9750109V").get_academie_display() == "Saint-Pierre-et-Miquelon"


def test_filtre_par_academie_garde_saint_martin_avec_la_guadeloupe():
    """--academie 32 keeps Guadeloupe's schools, Saint-Martin's and Saint-Barthélemy's included."""
    rapport = importer_ecoles(CONSTRUIT, academie="Guadeloupe")

    assert rapport.creees == 3
    assert set(Ecole.objects.values_list("commune__code_insee", flat=True)) == {"97101", "97701", "97801"}


@pytest.mark.parametrize(
    ("departement", "communes"),
    [("978", {"97801"}), ("977", {"97701"}), ("971", {"97101"}), ("2A", {"2A004"})],
)
def test_filtre_par_departement_suit_la_commune(departement, communes):
    """--departement 978 keeps the schools of Saint-Martin (UAI 971…), and 971 leaves them out: a school is in its
    commune's département."""
    rapport = importer_ecoles(CONSTRUIT, departement=departement)

    assert set(Ecole.objects.values_list("commune__code_insee", flat=True)) == communes
    assert rapport.creees == Ecole.objects.count() > 0


def _ips(tmp_path, *rows: str) -> Path:
    path = tmp_path / "ips.csv"
    path.write_text(CONSTRUIT.read_text(encoding="utf-8").splitlines()[0] + "\n" + "\n".join(rows) + "\n")
    return path


@pytest.mark.parametrize(
    ("ligne", "colonne", "message"),
    [
        (
            "2021-2022;GUADELOUPE;978;SAINT-MARTIN;9780111F;ECOLE;97801;SAINT-MARTIN;public;1",
            "Code INSEE de la commune",
            "cette commune (Saint-Martin) a des écoles dont l'UAI commence par 971, alors que l'UAI 9780111F "
            "commence par 978.",
        ),
        (
            "2021-2022;MARTINIQUE;971;GUADELOUPE;9710105M;ECOLE;97801;SAINT-MARTIN;public;1",
            "Académie",
            "l'école de cette commune relève de l'académie Guadeloupe (32).",
        ),
        (
            "2021-2022;CORSE;02A;CORSE-DU-SUD;6200101R;ECOLE;2B033;BASTIA;public;1",
            "Code INSEE de la commune",
            "cette commune (département 2B) a des écoles dont l'UAI commence par 720",
        ),
        (
            "2021-2022;NOUVELLE-CALEDONIE;988;NOUVELLE-CALEDONIE;9880112C;ECOLE;98818;NOUMEA;public;1",
            "Code INSEE de la commune",
            "cette commune n'est dans le ressort d'aucune académie",
        ),
    ],
    ids=["uai-978", "academie", "corse", "pacifique"],
)
def test_ligne_incoherente_refusee_avec_son_motif(tmp_path, ligne, colonne, message):
    """A UAI, commune or académie that do not tell the same place: the file is refused, naming the line."""
    rapport = importer_ecoles(_ips(tmp_path, ligne))

    assert rapport.annule
    [rejet] = rapport.rejets
    assert (rejet.ligne, rejet.colonne) == (2, colonne)
    assert message in rejet.motif
    assert not Ecole.objects.exists() and not Commune.objects.exists()


def test_academie_suit_la_commune_a_l_enregistrement():
    """A school saved in the admin or by a factory takes its commune's académie."""
    ecole = EcoleFactory(commune=CommuneFactory(code_insee="97801", nom="Saint-Martin"))
    assert ecole.academie == "32"
    ecole.commune = CommuneFactory(code_insee="09324", nom="Varilhes")
    ecole.save()
    assert ecole.academie == "16"
