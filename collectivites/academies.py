"""Which académie runs the schools of which département or collectivité d'outre-mer, and how their UAIs start.

One table for the whole country, at the lowest level: the schools import checks a school's UAI and commune with it
and records the school's académie; the académie of a collectivité is derived from it. The codes are the Ministry's
(`Code_academie` of the Annuaire de l'éducation, "11" for Montpellier); the départements are those of article
R222-2 of the Code de l'éducation. Overseas:

- Saint-Barthélemy (INSEE 977) and Saint-Martin (978) have been collectivités d'outre-mer since 2007, but their
  schools are still run by the académie de Guadeloupe and keep UAIs starting with 971 (the IPS file lists them so);
- Saint-Pierre-et-Miquelon (975) has its own service de l'éducation, code 44 in the Ministry's files;
- Corsica's UAIs start with 620 (Corse-du-Sud, 2A) and 720 (Haute-Corse, 2B);
- New Caledonia, French Polynesia and Wallis-et-Futuna are left out: their premier degré is run by the territories
  themselves, and the Ministry's school files (30 académies) do not list their schools.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from .validators import departement_of

# code: (name, the départements and collectivités d'outre-mer as INSEE writes them)
_ACADEMIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "01": ("Paris", ("75",)),
    "02": ("Aix-Marseille", ("04", "05", "13", "84")),
    "03": ("Besançon", ("25", "39", "70", "90")),
    "04": ("Bordeaux", ("24", "33", "40", "47", "64")),
    "06": ("Clermont-Ferrand", ("03", "15", "43", "63")),
    "07": ("Dijon", ("21", "58", "71", "89")),
    "08": ("Grenoble", ("07", "26", "38", "73", "74")),
    "09": ("Lille", ("59", "62")),
    "10": ("Lyon", ("01", "42", "69")),
    "11": ("Montpellier", ("11", "30", "34", "48", "66")),
    "12": ("Nancy-Metz", ("54", "55", "57", "88")),
    "13": ("Poitiers", ("16", "17", "79", "86")),
    "14": ("Rennes", ("22", "29", "35", "56")),
    "15": ("Strasbourg", ("67", "68")),
    "16": ("Toulouse", ("09", "12", "31", "32", "46", "65", "81", "82")),
    "17": ("Nantes", ("44", "49", "53", "72", "85")),
    "18": ("Orléans-Tours", ("18", "28", "36", "37", "41", "45")),
    "19": ("Reims", ("08", "10", "51", "52")),
    "20": ("Amiens", ("02", "60", "80")),
    "22": ("Limoges", ("19", "23", "87")),
    "23": ("Nice", ("06", "83")),
    "24": ("Créteil", ("77", "93", "94")),
    "25": ("Versailles", ("78", "91", "92", "95")),
    "27": ("Corse", ("2A", "2B")),
    "28": ("La Réunion", ("974",)),
    "31": ("Martinique", ("972",)),
    "32": ("Guadeloupe", ("971", "977", "978")),
    "33": ("Guyane", ("973",)),
    "43": ("Mayotte", ("976",)),
    "44": ("Saint-Pierre-et-Miquelon", ("975",)),
    "70": ("Normandie", ("14", "27", "50", "61", "76")),
}

# The territories whose UAIs do not start with "0" + their département (metropolitan) or with their own code.
_PREFIXES_UAI = {"2A": "620", "2B": "720", "977": "971", "978": "971"}

NOMS_OUTRE_MER = {
    "971": "Guadeloupe",
    "972": "Martinique",
    "973": "Guyane",
    "974": "La Réunion",
    "975": "Saint-Pierre-et-Miquelon",
    "976": "Mayotte",
    "977": "Saint-Barthélemy",
    "978": "Saint-Martin",
}


@dataclass(frozen=True)
class Academie:
    code: str
    nom: str
    territoires: tuple[str, ...]

    def __str__(self):
        return f"{self.nom} ({self.code})"

    @property
    def nom_complet(self) -> str:
        """ "académie de Montpellier", "académie d'Orléans-Tours", "académie de La Réunion"."""
        return f"académie d'{self.nom}" if self.nom[0] in "AEIOUÉ" else f"académie de {self.nom}"


@dataclass(frozen=True)
class Territoire:
    """A département or a collectivité d'outre-mer, as the first characters of its communes' INSEE codes."""

    code: str
    academie: Academie
    prefixe_uai: str

    @property
    def libelle(self) -> str:
        return NOMS_OUTRE_MER.get(self.code, f"département {self.code}")


ACADEMIES: dict[str, Academie] = {code: Academie(code, nom, deps) for code, (nom, deps) in _ACADEMIES.items()}
TERRITOIRES: dict[str, Territoire] = {
    dep: Territoire(dep, academie, _PREFIXES_UAI.get(dep) or (dep if len(dep) == 3 else f"0{dep}"))
    for academie in ACADEMIES.values()
    for dep in academie.territoires
}
CHOIX_ACADEMIES = sorted(((a.code, a.nom) for a in ACADEMIES.values()), key=lambda choice: choice[1])


def territoire_de_commune(code_insee: str) -> Territoire | None:
    """The département or collectivité of a commune, with its académie; None outside the académies' territory."""
    return TERRITOIRES.get(departement_of(code_insee))


def academie_de_commune(code_insee: str) -> Academie | None:
    territoire = territoire_de_commune(code_insee)
    return territoire.academie if territoire else None


def _cle_nom(nom: str) -> str:
    sans_accents = unicodedata.normalize("NFKD", nom).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^A-Z]+", " ", sans_accents.upper()).strip()


_PAR_NOM = {_cle_nom(a.nom): a for a in ACADEMIES.values()}


@lru_cache(maxsize=256)
def academie_par_nom(nom: str) -> Academie | None:
    """The académie named "MONTPELLIER", "Orléans-Tours", "LA REUNION" or "académie de Nancy-Metz"."""
    cle = re.sub(r"^ACADEMIE (?:DE LA |DE |D |DU )?", "", _cle_nom(nom))
    return _PAR_NOM.get(cle) or _PAR_NOM.get(f"LA {cle}")


def academie_par_code(code: str) -> Academie | None:
    """ "11", or "1" from a file whose leading zero a spreadsheet dropped (the caller decides whether to accept)."""
    return ACADEMIES.get(code.strip().zfill(2)) if code.strip().isdigit() else None


@dataclass(frozen=True)
class Perimetre:
    """What an import is limited to: a département, or the territories of an académie; the lines outside it are
    counted under `hors` and left out."""

    departements: frozenset[str]
    hors: str

    def exclut(self, *codes_insee: str) -> bool:
        """True when none of these communes is inside."""
        return not any(departement_of(code) in self.departements for code in codes_insee)


def perimetre(departement: str = "", academie: str = "") -> Perimetre | None:
    """The limit of the --departement (INSEE form) and --academie (code) options; None for the whole country."""
    if departement:
        return Perimetre(frozenset([departement]), f"Hors du département {departement}")
    if academie:
        return Perimetre(frozenset(ACADEMIES[academie].territoires), f"Hors de l'{ACADEMIES[academie].nom_complet}")
    return None
