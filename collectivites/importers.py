"""Importing reference files (INSEE, Ministry of Education): the shared machinery, then the communes import.

The machinery (reading a CSV by column names, the checks of codes a spreadsheet damaged, the report, creating the
missing communes) lives here, in the lowest app, so that the schools import of `ecoles` reuses it while
`collectivites` knows nothing of schools.

Every import streams its file and works in lots: the rows of a lot are checked in Python, then compared with the
database in one query per model and written with bulk operations that also write the history
(`bulk_create_with_history`, `bulk_update_with_history`). The whole file is one transaction, rolled back for a dry
run or when rows were rejected without `skip_invalid`: a file with errors imports nothing.
"""

from __future__ import annotations

import csv
import dataclasses
import re
import sys
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from django.core.exceptions import ValidationError
from django.db import transaction
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from documents.texte import caractere_interdit

from .models import Collectivite, Commune
from .validators import departement_of, validate_code_insee, validate_siren, validate_siret

TAILLE_LOT = 2000
# Kept in full up to these numbers; beyond, only counted, so that a national file cannot fill the memory.
MAX_REJETS_DETAILLES = 1000
MAX_MODIFICATIONS_DETAILLEES = 500
ABSENTES_AFFICHEES = 30
PLACEHOLDER = "À compléter"


class FichierIllisible(Exception):
    """The file as a whole cannot be imported (format, encoding, columns). The message is for users."""


class ErreurChamp(Exception):
    """One value of a row is wrong. `cle` is our column key; the message says why, in French."""

    def __init__(self, cle: str, valeur: str, motif: str):
        super().__init__(motif)
        self.cle, self.valeur, self.motif = cle, valeur, motif


class LigneInvalide(Exception):
    """A row with one or more wrong values, all reported together."""

    def __init__(self, erreurs: list[ErreurChamp]):
        super().__init__("; ".join(e.motif for e in erreurs))
        self.erreurs = erreurs


def message_de(error: ValidationError) -> str:
    return " ".join(error.messages)


def sans_accents(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def normaliser_entete(name: str) -> str:
    """ "Code postal", "Code_Postal" and "code_postal" are one column: code_postal."""
    return re.sub(r"[^a-z0-9]+", "_", sans_accents(name.strip().lstrip("\ufeff")).lower()).strip("_")


def normaliser_valeur(value: str) -> str:
    """ "privé sous contrat" → "PRIVE SOUS CONTRAT", "A FERMER" and "à fermer" alike."""
    return re.sub(r"\s+", " ", sans_accents(value).upper()).strip()


# ---------------------------------------------------------------------------------------------------------------
# Reading a CSV file by column names
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Colonne:
    cle: str
    libelle: str
    # Normalised header names (see normaliser_entete) this column is known under, the preferred one first.
    alias: tuple[str, ...]


@dataclass
class Ligne:
    numero: int
    valeurs: dict[str, str]


class LecteurCsv:
    """Streams the rows of a CSV file (`;`, `,` or tab; UTF-8 with or without BOM) keyed by our column keys.

    Columns are found by name and known aliases, never by position. Lines are decoded one by one so that a wrong
    encoding is reported with its exact line number.
    """

    def __init__(self, binaire: BinaryIO, nom_fichier: str, colonnes: Iterable[Colonne]):
        self.binaire = binaire
        self.nom_fichier = nom_fichier
        self.octets_lus = 0
        self.taille = _taille(binaire)
        self._lignes = self._lignes_decodees()
        entete_brute = self._premiere_ligne()
        self.separateur = max(";,\t", key=entete_brute.count)
        self.entete = next(csv.reader([entete_brute], delimiter=self.separateur))
        normalises = [normaliser_entete(name) for name in self.entete]
        # Our key → (index in the row, the header as the file writes it, for messages).
        self.positions: dict[str, tuple[int, str]] = {}
        for colonne in colonnes:
            for alias in colonne.alias:
                if alias in normalises:
                    index = normalises.index(alias)
                    self.positions[colonne.cle] = (index, self.entete[index].strip().lstrip("\ufeff"))
                    break
        self.normalises = set(normalises)

    def a(self, cle: str) -> bool:
        return cle in self.positions

    def nom_colonne(self, cle: str) -> str:
        return self.positions[cle][1] if cle in self.positions else cle

    def exiger(self, colonnes: Iterable[Colonne], obligatoires: Iterable[str], description: str) -> None:
        """One clear message when the file is not the expected kind, or lacks a required column."""
        colonnes = {c.cle: c for c in colonnes}
        trouvees = ", ".join(name.strip().lstrip("\ufeff") for name in self.entete[:12])
        if len(self.entete) > 12:
            trouvees += "…"
        if not self.positions:
            raise FichierIllisible(
                f"Le fichier « {self.nom_fichier} » ne contient aucune des colonnes attendues pour {description} "
                f"(colonnes lues : {trouvees}). Vérifiez qu'il s'agit du bon fichier, séparé par « ; » ou « , »."
            )
        manquantes = [colonnes[cle] for cle in obligatoires if cle not in self.positions]
        if manquantes:
            detail = " ; ".join(f"{c.libelle} (par exemple « {c.alias[0]} »)" for c in manquantes)
            raise FichierIllisible(
                f"Le fichier « {self.nom_fichier} » n'a pas de colonne pour : {detail}. Colonnes lues : {trouvees}."
            )

    def __iter__(self) -> Iterator[Ligne]:
        reader = csv.reader(self._lignes, delimiter=self.separateur)
        expected = len(self.entete)
        try:
            for row in reader:
                # reader.line_num counts the lines read so far after the header, so this is the physical line number.
                numero = reader.line_num + 1
                if not any(cell.strip() for cell in row):
                    continue
                if len(row) != expected:
                    yield Ligne(numero, {"__champs__": str(len(row))})
                    continue
                yield Ligne(numero, {cle: row[index].strip() for cle, (index, _) in self.positions.items()})
        except csv.Error as exc:
            raise FichierIllisible(
                f"Le fichier « {self.nom_fichier} » est mal formé vers la ligne {reader.line_num + 1} ({exc}) : "
                "un guillemet n'est sans doute pas refermé."
            ) from exc

    def _premiere_ligne(self) -> str:
        try:
            first = next(self._lignes)
        except StopIteration:
            raise FichierIllisible(f"Le fichier « {self.nom_fichier} » est vide.") from None
        return first.lstrip("\ufeff")

    def _lignes_decodees(self) -> Iterator[str]:
        debut = self.binaire.read(4096)
        self.binaire.seek(0)
        _refuser_binaire(debut, self.nom_fichier)
        for numero, brute in enumerate(self.binaire, start=1):
            self.octets_lus += len(brute)
            try:
                yield brute.decode("utf-8")
            except UnicodeDecodeError:
                raise FichierIllisible(
                    f"Le fichier « {self.nom_fichier} » n'est pas encodé en UTF-8 (caractère illisible à la ligne "
                    f"{numero}) : il a sans doute été enregistré par un tableur en « CSV » Windows. Enregistrez-le "
                    "au format « CSV UTF-8 » et recommencez."
                ) from None


def _taille(binaire: BinaryIO) -> int:
    position = binaire.tell()
    taille = binaire.seek(0, 2)
    binaire.seek(position)
    return taille


def _refuser_binaire(debut: bytes, nom_fichier: str) -> None:
    if debut.startswith(b"PK\x03\x04"):
        raise FichierIllisible(
            f"Le fichier « {nom_fichier} » est un classeur (Excel, LibreOffice), pas un fichier CSV : enregistrez-le "
            "au format « CSV UTF-8 » et recommencez."
        )
    if debut.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FichierIllisible(
            f"Le fichier « {nom_fichier} » est encodé en UTF-16 : enregistrez-le au format « CSV UTF-8 » et "
            "recommencez."
        )
    if b"\x00" in debut:
        raise FichierIllisible(f"Le fichier « {nom_fichier} » n'est pas un fichier texte CSV.")


# ---------------------------------------------------------------------------------------------------------------
# Checks of the values, including the damage a spreadsheet does
# ---------------------------------------------------------------------------------------------------------------

NOTATION_SCIENTIFIQUE_RE = re.compile(r"^\d+(?:[.,]\d+)?[eE][+-]?\d+$")
DATE_JJ_MM_AAAA_RE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
DATE_ISO_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def obligatoire(cle: str, valeur: str, libelle: str) -> str:
    if not valeur:
        raise ErreurChamp(cle, valeur, f"valeur obligatoire manquante ({libelle}).")
    return valeur


def texte(cle: str, valeur: str, maximum: int, libelle: str, requis: bool = True) -> str:
    if requis:
        obligatoire(cle, valeur, libelle)
    if len(valeur) > maximum:
        raise ErreurChamp(cle, valeur, f"{libelle} trop long : {len(valeur)} caractères, {maximum} au plus.")
    return valeur


def refuser_notation_scientifique(cle: str, valeur: str, libelle: str) -> None:
    if NOTATION_SCIENTIFIQUE_RE.match(valeur):
        raise ErreurChamp(
            cle,
            valeur,
            f"le {libelle} est écrit en notation scientifique : un tableur l'a lu comme un nombre et en a perdu les "
            "derniers chiffres. Reprenez la valeur dans le fichier d'origine (colonne au format texte).",
        )


def code_insee(cle: str, valeur: str) -> str:
    valeur = obligatoire(cle, valeur.upper(), "code INSEE de la commune")
    refuser_notation_scientifique(cle, valeur, "code INSEE")
    if re.fullmatch(r"\d{4}", valeur):
        raise ErreurChamp(
            cle,
            valeur,
            f"le code INSEE a perdu son zéro initial (« 0{valeur} » attendu) : un tableur l'a lu comme un nombre.",
        )
    try:
        validate_code_insee(valeur)
    except ValidationError as error:
        raise ErreurChamp(cle, valeur, message_de(error)) from None
    return valeur


def code_postal(cle: str, valeur: str) -> str:
    if not valeur:
        return ""
    if re.fullmatch(r"\d{4}", valeur):
        raise ErreurChamp(
            cle,
            valeur,
            f"le code postal a perdu son zéro initial (« 0{valeur} » attendu) : un tableur l'a lu comme un nombre.",
        )
    if not re.fullmatch(r"\d{5}", valeur):
        raise ErreurChamp(cle, valeur, "code postal invalide : 5 chiffres attendus.")
    return valeur


def siren(cle: str, valeur: str) -> str:
    valeur = obligatoire(cle, valeur.replace(" ", ""), "SIREN")
    refuser_notation_scientifique(cle, valeur, "SIREN")
    try:
        validate_siren(valeur)
    except ValidationError as error:
        raise ErreurChamp(cle, valeur, message_de(error)) from None
    return valeur


def siret(cle: str, valeur: str) -> str:
    """An optional SIRET; a 9-digit SIREN in its place is not an error, but it is not a SIRET either."""
    valeur = valeur.replace(" ", "")
    if not valeur:
        return ""
    refuser_notation_scientifique(cle, valeur, "SIRET")
    if re.fullmatch(r"\d{9}", valeur):
        return ""
    try:
        validate_siret(valeur)
    except ValidationError as error:
        raise ErreurChamp(cle, valeur, message_de(error)) from None
    return valeur


def date_iso(cle: str, valeur: str) -> str:
    """The Ministry writes dates aaaa-mm-jj; jj/mm/aaaa means a spreadsheet rewrote the file."""
    if not valeur or DATE_ISO_RE.match(valeur):
        return valeur
    match = DATE_JJ_MM_AAAA_RE.match(valeur)
    if match:
        jour, mois, annee = match.groups()
        raise ErreurChamp(
            cle,
            valeur,
            f"date au format jj/mm/aaaa d'un tableur : le fichier d'origine l'écrit aaaa-mm-jj "
            f"(« {annee}-{int(mois):02d}-{int(jour):02d} »). Reprenez le fichier d'origine.",
        )
    raise ErreurChamp(cle, valeur, "date illisible : le format aaaa-mm-jj est attendu.")


def departement_insee(cle: str, valeur: str, chiffres: int) -> str:
    """The département as INSEE writes it ("11", "2A", "971") from a file that writes it with `chiffres` characters.

    The Ministry's files write 3 characters ("011", "02A" or "620" for Corse-du-Sud), INSEE's 2 ("01", "2A") or 3
    overseas. A shorter number means a spreadsheet dropped the leading zero.
    """
    valeur = valeur.upper()
    obligatoire(cle, valeur, "département")
    if valeur.isdigit() and len(valeur) < chiffres:
        raise ErreurChamp(
            cle,
            valeur,
            f"le département a perdu son zéro initial (« {valeur.zfill(chiffres)} » attendu) : un tableur l'a lu "
            "comme un nombre.",
        )
    corse = {"620": "2A", "720": "2B", "02A": "2A", "02B": "2B", "2A": "2A", "2B": "2B"}
    if valeur in corse:
        return corse[valeur]
    if re.fullmatch(r"9[78]\d", valeur):
        return valeur
    # 20 is not a département since 1976 (2A and 2B), as validate_code_insee knows.
    if re.fullmatch(r"0?(0[1-9]|1\d|2[1-9]|[3-8]\d|9[0-5])", valeur):
        return valeur[-2:]
    raise ErreurChamp(cle, valeur, "code de département inconnu.")


def departement_filtre(valeur: str) -> str:
    """The --departement option, written "011", "11", "2A" or "620": the INSEE form, or a clear error."""
    try:
        return departement_insee("departement", valeur.strip(), chiffres=1)
    except ErreurChamp as error:
        raise FichierIllisible(f"Département « {valeur} » inconnu : {error.motif}") from None


# ---------------------------------------------------------------------------------------------------------------
# The report
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class Rejet:
    ligne: int
    colonne: str
    valeur: str
    motif: str

    def __str__(self):
        valeur = f", valeur « {self.valeur} »" if self.valeur else ""
        return f"Ligne {self.ligne}, colonne « {self.colonne} »{valeur} : {self.motif}"


@dataclass
class RapportImport:
    """What an import read and did (or would do): shown on the console and in the admin."""

    fichier: str
    objet: str  # "écoles", "communes": what the counts count
    format: str = ""
    simulation: bool = False
    ignorer_invalides: bool = False
    lues: int = 0
    creees: int = 0
    modifiees: int = 0
    inchangees: int = 0
    ignorees: Counter = field(default_factory=Counter)
    lignes_rejetees: int = 0
    rejets: list[Rejet] = field(default_factory=list)
    communes_creees: int = 0
    groupements_crees: int = 0
    modifications: list[str] = field(default_factory=list)
    nb_modifications: int = 0
    absentes: list[str] = field(default_factory=list)
    nb_absentes: int = 0
    # Records whose state became "à fermer" or "fermée"; None for the imports of records that do not close (communes).
    fermees: int | None = None

    def vers_json(self) -> dict:
        """The report as JSON, for an import run in the background (`ImportFichier.rapport`)."""
        # asdict() would rebuild the Counter from (key, count) pairs, counting the pairs: a plain dict first.
        return dataclasses.asdict(dataclasses.replace(self, ignorees=dict(self.ignorees)))

    @classmethod
    def depuis_json(cls, donnees: dict) -> RapportImport:
        # Unknown keys are left out: a report stored before a field was removed still reads.
        champs = {f.name for f in dataclasses.fields(cls)}
        rapport = cls(**{cle: valeur for cle, valeur in donnees.items() if cle in champs})
        rapport.ignorees = Counter(rapport.ignorees)
        rapport.rejets = [Rejet(**rejet) for rejet in rapport.rejets]
        return rapport

    @property
    def applique(self) -> bool:
        """Whether the changes were written: not for a dry run, not when rows were rejected without skip_invalid."""
        return not self.simulation and (self.lignes_rejetees == 0 or self.ignorer_invalides)

    @property
    def a_enregistrer(self) -> bool:
        """Whether the import writes anything (a preview with nothing to write needs no confirmation)."""
        return bool(self.creees or self.modifiees or self.communes_creees or self.groupements_crees)

    @property
    def annule(self) -> bool:
        return self.lignes_rejetees > 0 and not self.ignorer_invalides

    @property
    def nb_ignorees(self) -> int:
        return sum(self.ignorees.values())

    @property
    def raisons_ignorees(self) -> list[tuple[str, int]]:
        """The skipped rows by reason, most frequent first (a Counter cannot be iterated from a template)."""
        return sorted(self.ignorees.items(), key=lambda item: (-item[1], item[0]))

    def rejeter(self, numero: int, colonne: str, valeur: str, motif: str) -> None:
        if len(self.rejets) < MAX_REJETS_DETAILLES:
            self.rejets.append(Rejet(numero, colonne, valeur, motif))

    def noter_modification(self, texte: str) -> None:
        self.nb_modifications += 1
        if len(self.modifications) < MAX_MODIFICATIONS_DETAILLEES:
            self.modifications.append(texte)

    def motif_annulation(self) -> str:
        """Why nothing was written, naming the first rejected line: the message of a refused file."""
        premier = f" Première erreur : {self.rejets[0]}" if self.rejets else ""
        return (
            f"Import annulé, rien n'a été enregistré : le fichier contient des lignes rejetées "
            f"({self.lignes_rejetees}).{premier}"
        )

    @property
    def statut(self) -> str:
        if self.annule:
            return (
                "Import annulé : le fichier contient des lignes rejetées, rien n'a été enregistré. Corrigez le "
                "fichier, ou importez seulement les lignes valides (option « ignorer les lignes invalides »)."
            )
        if self.simulation:
            return "Simulation : rien n'a été enregistré."
        return "Import terminé : les changements sont enregistrés et visibles dans l'historique."

    def compteurs(self) -> list[tuple[str, int]]:
        """Labels stay valid for any count ("Écoles créées : 1"), so no plural to get wrong."""
        objet = self.objet.capitalize()
        # What a dry run or a refused file would have done is not what was done: the labels say which.
        creees, modifiees, crees, fermees = (
            ("créées", "modifiées", "créés", "passées")
            if self.applique
            else ("à créer", "à modifier", "à créer", "à passer")
        )
        lines = [
            ("Lignes lues", self.lues),
            (f"{objet} {creees}", self.creees),
            (f"{objet} {modifiees}", self.modifiees),
            (f"{objet} inchangées", self.inchangees),
            ("Lignes ignorées", self.nb_ignorees),
            ("Lignes rejetées", self.lignes_rejetees),
        ]
        if self.fermees is not None:
            lines.append((f"{objet} {fermees} à l'état « à fermer » ou « fermée »", self.fermees))
        if self.communes_creees and self.objet != "communes":
            lines.append((f"Communes {creees}", self.communes_creees))
        if self.groupements_crees:
            lines.append((f"Groupements {crees}", self.groupements_crees))
        if self.nb_absentes:
            lines.append((f"{objet} absentes du fichier (conservées)", self.nb_absentes))
        return lines

    def lignes(self) -> list[str]:
        """The report as text lines, for the console."""
        out = [f"Fichier : {self.fichier}" + (f" ({self.format})" if self.format else "")]
        out += [f"  {label} : {count}" for label, count in self.compteurs()]
        for motif, count in self.raisons_ignorees:
            out.append(f"    ignorées — {motif} : {count}")
        if self.rejets:
            out.append("Lignes rejetées :")
            out += [f"  {rejet}" for rejet in self.rejets]
            if self.lignes_rejetees > len(self.rejets):
                out.append(f"  … et d'autres erreurs (les {MAX_REJETS_DETAILLES} premières sont listées).")
        if self.absentes:
            out.append(f"{self.objet.capitalize()} absentes du fichier, conservées (à vérifier) :")
            out += [f"  {code}" for code in self.absentes[:ABSENTES_AFFICHEES]]
            if self.nb_absentes > ABSENTES_AFFICHEES:
                out.append(f"  … et d'autres : {self.nb_absentes} en tout.")
        out.append(self.statut)
        return out


# ---------------------------------------------------------------------------------------------------------------
# Running an import: transaction, progress, lots
# ---------------------------------------------------------------------------------------------------------------


class Progression:
    """A progress bar on the console (stderr), by bytes read, redrawn at most once per percent."""

    def __init__(self, flux=None, largeur: int = 30):
        self.flux = flux or sys.stderr
        self.largeur = largeur
        self._dernier = -1

    def __call__(self, lignes: int, octets: int, total: int) -> None:
        percent = min(100, octets * 100 // total) if total else 100
        if percent == self._dernier:
            return
        self._dernier = percent
        plein = self.largeur * percent // 100
        barre = "#" * plein + "-" * (self.largeur - plein)
        self._ecrire(f"\r[{barre}] {percent:3d} % — {lignes} lignes" + ("\n" if percent == 100 else ""))

    def _ecrire(self, text: str) -> None:
        # A management command's OutputWrapper ends every write with a newline unless told otherwise.
        if hasattr(self.flux, "ending"):
            self.flux.write(text, ending="")
        else:
            self.flux.write(text)
        self.flux.flush()


@dataclass
class Contexte:
    """What every write of one import carries into the history."""

    rapport: RapportImport
    utilisateur: object = None
    motif_historique: str = ""


def motif_historique(format_fichier: str, nom_fichier: str) -> str:
    return f"Import {format_fichier} ({Path(nom_fichier).name})"[:100]


def executer(traitement: Callable[[], None], rapport: RapportImport) -> RapportImport:
    """Runs a whole import in one transaction, and rolls it back unless it is to be kept (see RapportImport)."""
    with transaction.atomic():
        traitement()
        if not rapport.applique:
            transaction.set_rollback(True)
    # Duplicates are found lot by lot, after the other checks: the report lists the rows in the file's order.
    rapport.rejets.sort(key=lambda rejet: rejet.ligne)
    return rapport


def par_lots(lignes: Iterable, taille: int = TAILLE_LOT) -> Iterator[list]:
    lot = []
    for ligne in lignes:
        lot.append(ligne)
        if len(lot) >= taille:
            yield lot
            lot = []
    if lot:
        yield lot


def rejeter_erreurs(rapport: RapportImport, lecteur: LecteurCsv, numero: int, erreurs: list[ErreurChamp]) -> None:
    rapport.lignes_rejetees += 1
    for erreur in erreurs:
        rapport.rejeter(numero, lecteur.nom_colonne(erreur.cle), erreur.valeur, erreur.motif)


def caracteres_interdits(valeurs: dict) -> list[ErreurChamp]:
    """Text that no document can carry (documents.texte), in any column: the row is refused, naming each."""
    erreurs = []
    for cle, valeur in valeurs.items():
        if isinstance(valeur, str) and (caractere := caractere_interdit(valeur)):
            erreurs.append(ErreurChamp(cle, valeur, f"caractère invisible interdit ({caractere})"))
    return erreurs


def rejeter_champs_manquants(rapport: RapportImport, lecteur: LecteurCsv, ligne: Ligne) -> bool:
    """A row whose field count is not the header's (a stray separator or quote): rejected as a whole."""
    if "__champs__" not in ligne.valeurs:
        return False
    rapport.lignes_rejetees += 1
    rapport.rejeter(
        ligne.numero,
        "(ligne entière)",
        "",
        f"{ligne.valeurs['__champs__']} champs au lieu de {len(lecteur.entete)} : un séparateur ou un guillemet "
        "est en trop ou manque.",
    )
    return True


def assurer_communes(demandes: dict[str, tuple[str, str]], contexte: Contexte) -> dict[str, Commune]:
    """The communes of these INSEE codes, the missing ones created from the name (and postal code) given.

    `demandes` maps a code to (name, postal code); a missing commune without a name is left out of the answer,
    for the caller to reject the rows that need it.
    """
    existantes = {c.code_insee: c for c in Commune.objects.filter(code_insee__in=demandes.keys())}
    nouvelles = [
        Commune(code_insee=code, nom=nom, code_postal=cp, departement=departement_of(code))
        for code, (nom, cp) in demandes.items()
        if code not in existantes and nom
    ]
    if nouvelles:
        # bulk_create bypasses Commune.save(), hence the département set above.
        creer_avec_historique(nouvelles, Commune, contexte)
        contexte.rapport.communes_creees += len(nouvelles)
        existantes.update({c.code_insee: c for c in nouvelles})
    return existantes


def creer_avec_historique(objets, model, contexte: Contexte) -> None:
    if objets:
        bulk_create_with_history(
            objets,
            model,
            batch_size=500,
            default_user=contexte.utilisateur,
            default_change_reason=contexte.motif_historique,
        )


def appliquer_modifications(objets, model, champs: set[str], contexte: Contexte) -> None:
    if objets:
        bulk_update_with_history(
            objets,
            model,
            sorted(champs),
            batch_size=500,
            default_user=contexte.utilisateur,
            default_change_reason=contexte.motif_historique,
        )


def lignes_valides(
    lecteur: LecteurCsv,
    rapport: RapportImport,
    verifier: Callable[[dict], dict | None],
    progression: Callable[[int, int, int], None] | None = None,
) -> Iterator[tuple[int, dict]]:
    """Checks each row with `verifier`, which returns the cleaned values, or None when the row is skipped."""
    for ligne in lecteur:
        rapport.lues += 1
        if progression and rapport.lues % 500 == 0:
            progression(rapport.lues, lecteur.octets_lus, lecteur.taille)
        if rejeter_champs_manquants(rapport, lecteur, ligne):
            continue
        if invisibles := caracteres_interdits(ligne.valeurs):
            rejeter_erreurs(rapport, lecteur, ligne.numero, invisibles)
            continue
        try:
            propre = verifier(ligne.valeurs)
        except ErreurChamp as erreur:
            rejeter_erreurs(rapport, lecteur, ligne.numero, [erreur])
            continue
        except LigneInvalide as invalide:
            rejeter_erreurs(rapport, lecteur, ligne.numero, invalide.erreurs)
            continue
        if propre is not None:
            yield ligne.numero, propre
    if progression:
        progression(rapport.lues, lecteur.taille, lecteur.taille)


class Erreurs:
    """Runs every check of a row and keeps their errors, so that a row reports all its errors at once."""

    def __init__(self):
        self.liste: list[ErreurChamp] = []

    def essayer(self, verification: Callable, *args):
        try:
            return verification(*args)
        except ErreurChamp as erreur:
            self.liste.append(erreur)
            return None

    def ajouter(self, cle: str, valeur: str, motif: str) -> None:
        self.liste.append(ErreurChamp(cle, valeur, motif))

    def lever(self) -> None:
        if self.liste:
            raise LigneInvalide(self.liste)


def sans_doublons(lot, vus: dict, champ: str, cle: str, lecteur, rapport, libelle: str) -> list:
    """A code twice in one file is an error in the file: the second row is rejected, naming the first."""
    garde = []
    for numero, propre in lot:
        premier = vus.setdefault(propre[champ], numero)
        if premier != numero:
            rapport.lignes_rejetees += 1
            rapport.rejeter(
                numero, lecteur.nom_colonne(cle), propre[champ], f"{libelle} en double (déjà à la ligne {premier})."
            )
        else:
            garde.append((numero, propre))
    return garde


def ouvrir(chemin_ou_fichier) -> tuple[BinaryIO, str, bool]:
    """A binary file object, its name for messages, and whether we opened it (and must close it)."""
    if isinstance(chemin_ou_fichier, str | Path):
        path = Path(chemin_ou_fichier)
        try:
            return path.open("rb"), path.name, True
        except OSError as exc:
            raise FichierIllisible(f"Impossible d'ouvrir le fichier « {path} » : {exc.strerror}.") from None
    return chemin_ou_fichier, Path(getattr(chemin_ou_fichier, "name", "") or "fichier").name, False


# ---------------------------------------------------------------------------------------------------------------
# Communes (COG) and the composition of groupings (EPCI)
# ---------------------------------------------------------------------------------------------------------------

COLONNES_COG = [
    Colonne("typecom", "type de commune (TYPECOM)", ("typecom",)),
    Colonne("com", "code commune (COM)", ("com",)),
    Colonne("dep", "département (DEP)", ("dep",)),
    Colonne("libelle", "nom de la commune (LIBELLE)", ("libelle", "nccenr")),
]
COLONNES_EPCI = [
    Colonne("codgeo", "code commune (CODGEO)", ("codgeo",)),
    Colonne("libgeo", "nom de la commune (LIBGEO)", ("libgeo",)),
    Colonne("epci", "SIREN de l'EPCI (EPCI)", ("epci", "siren_epci")),
    Colonne("libepci", "nom de l'EPCI (LIBEPCI)", ("libepci",)),
    Colonne("nature_epci", "nature de l'EPCI (NATURE_EPCI)", ("nature_epci",)),
    Colonne("dep", "département (DEP)", ("dep",)),
]
FORMAT_COG = "communes du Code officiel géographique (INSEE)"
FORMAT_EPCI = "composition communale des EPCI (INSEE)"

TYPECOM_IGNORES = {
    "COMA": "Commune associée (TYPECOM COMA)",
    "COMD": "Commune déléguée (TYPECOM COMD)",
    "ARM": "Arrondissement municipal (TYPECOM ARM)",
}
SANS_EPCI = "ZZZZZZZZZ"
# NATURE_EPCI of INSEE. Our types have no "communauté urbaine": it is stored as "autre", with its name.
NATURES_EPCI = {
    "CC": Collectivite.Type.COMMUNAUTE_COMMUNES,
    "CA": Collectivite.Type.COMMUNAUTE_AGGLOMERATION,
    "ME": Collectivite.Type.METROPOLE,
    "METRO": Collectivite.Type.METROPOLE,
    "CU": Collectivite.Type.AUTRE,
}
PREFIXES_EPCI = [
    (("CC ", "COMMUNAUTE DE COMMUNES"), Collectivite.Type.COMMUNAUTE_COMMUNES),
    (("CA ", "COMMUNAUTE D'AGGLOMERATION", "COMMUNAUTE D AGGLOMERATION"), Collectivite.Type.COMMUNAUTE_AGGLOMERATION),
    (("METROPOLE", "EUROMETROPOLE"), Collectivite.Type.METROPOLE),
    (("SYNDICAT", "SIVU", "SIVOM"), Collectivite.Type.SYNDICAT),
]


def type_groupement(nature: str, nom: str) -> str:
    if normaliser_valeur(nature) in NATURES_EPCI:
        return NATURES_EPCI[normaliser_valeur(nature)]
    nom = normaliser_valeur(nom)
    for prefixes, type_ in PREFIXES_EPCI:
        if nom.startswith(prefixes):
            return type_
    return Collectivite.Type.AUTRE


def importer_communes(
    chemin_ou_fichier,
    *,
    nom_fichier: str = "",
    departement: str = "",
    simulation: bool = False,
    ignorer_invalides: bool = False,
    utilisateur=None,
    progression: Callable[[int, int, int], None] | None = None,
) -> RapportImport:
    """Imports the INSEE commune file (COG) or the composition of the EPCI, recognised by their columns."""
    binaire, nom_lu, a_fermer = ouvrir(chemin_ou_fichier)
    nom_fichier = nom_fichier or nom_lu
    try:
        lecteur = LecteurCsv(binaire, nom_fichier, COLONNES_COG + COLONNES_EPCI)
        if lecteur.a("codgeo") or lecteur.a("epci"):
            lecteur.exiger(COLONNES_EPCI, ["codgeo", "libgeo", "epci", "libepci"], "la composition des EPCI")
            format_, traiter = FORMAT_EPCI, _traiter_epci
        else:
            lecteur.exiger(COLONNES_COG, ["typecom", "com", "libelle"], "les communes (COG) ou la composition des EPCI")
            format_, traiter = FORMAT_COG, _traiter_cog
        rapport = RapportImport(
            nom_fichier, "communes", format_, simulation=simulation, ignorer_invalides=ignorer_invalides
        )
        contexte = Contexte(rapport, utilisateur, motif_historique(format_, nom_fichier))
        filtre = departement_filtre(departement) if departement else ""
        return executer(lambda: traiter(lecteur, contexte, filtre, progression), rapport)
    finally:
        if a_fermer:
            binaire.close()


def _verifier_cog(valeurs: dict, rapport: RapportImport, filtre: str) -> dict | None:
    """A row of the COG: only actual communes (TYPECOM COM), not the delegated or associated ones."""
    typecom = normaliser_valeur(valeurs["typecom"])
    if typecom != "COM":
        rapport.ignorees[TYPECOM_IGNORES.get(typecom, f"Type de commune « {typecom} » (TYPECOM)")] += 1
        return None
    erreurs = Erreurs()
    code = erreurs.essayer(code_insee, "com", valeurs["com"])
    nom = erreurs.essayer(texte, "libelle", valeurs["libelle"], 150, "nom de la commune")
    if valeurs.get("dep") is not None:
        dep = erreurs.essayer(departement_insee, "dep", valeurs["dep"], 2)
        if code and dep and dep != departement_of(code):
            erreurs.ajouter("dep", valeurs["dep"], f"ce département ne correspond pas au code commune {code}.")
    erreurs.lever()
    if filtre and departement_of(code) != filtre:
        rapport.ignorees[f"Hors du département {filtre}"] += 1
        return None
    return {"code": code, "nom": nom}


def _traiter_cog(lecteur, contexte, filtre, progression) -> None:
    rapport = contexte.rapport
    vus: dict[str, int] = {}
    for lot in par_lots(lignes_valides(lecteur, rapport, lambda v: _verifier_cog(v, rapport, filtre), progression)):
        lot = sans_doublons(lot, vus, "code", "com", lecteur, rapport, "code commune")
        existantes = {c.code_insee: c for c in Commune.objects.filter(code_insee__in=[p["code"] for _, p in lot])}
        nouvelles, modifiees = [], []
        for _, propre in lot:
            commune = existantes.get(propre["code"])
            if commune is None:
                nouvelles.append(_nouvelle_commune(propre))
            elif commune.nom != propre["nom"]:
                rapport.noter_modification(f"{commune.code_insee} : nom « {commune.nom} » → « {propre['nom']} »")
                commune.nom = propre["nom"]
                modifiees.append(commune)
            else:
                rapport.inchangees += 1
        creer_avec_historique(nouvelles, Commune, contexte)
        appliquer_modifications(modifiees, Commune, {"nom"}, contexte)
        rapport.creees += len(nouvelles)
        rapport.modifiees += len(modifiees)


def _verifier_epci(valeurs: dict, rapport: RapportImport, filtre: str) -> dict | None:
    if normaliser_valeur(valeurs["epci"]) == SANS_EPCI:
        rapport.ignorees["Commune sans intercommunalité (EPCI ZZZZZZZZZ)"] += 1
        return None
    erreurs = Erreurs()
    code = erreurs.essayer(code_insee, "codgeo", valeurs["codgeo"])
    nom = erreurs.essayer(texte, "libgeo", valeurs["libgeo"], 150, "nom de la commune")
    siren_epci = erreurs.essayer(siren, "epci", valeurs["epci"])
    nom_epci = erreurs.essayer(texte, "libepci", valeurs["libepci"], 200, "nom de l'EPCI")
    if valeurs.get("dep"):
        dep = erreurs.essayer(departement_insee, "dep", valeurs["dep"], 2)
        if code and dep and dep != departement_of(code):
            erreurs.ajouter("dep", valeurs["dep"], f"ce département ne correspond pas au code commune {code}.")
    erreurs.lever()
    if filtre and departement_of(code) != filtre:
        rapport.ignorees[f"Hors du département {filtre}"] += 1
        return None
    return {
        "code": code,
        "nom": nom,
        "siren": siren_epci,
        "nom_epci": nom_epci,
        "type": type_groupement(valeurs.get("nature_epci", ""), nom_epci),
        "dep": departement_of(code),
    }


def _traiter_epci(lecteur, contexte, filtre, progression) -> None:
    rapport = contexte.rapport
    vus: dict[str, int] = {}
    for lot in par_lots(lignes_valides(lecteur, rapport, lambda v: _verifier_epci(v, rapport, filtre), progression)):
        lot = sans_doublons(lot, vus, "code", "codgeo", lecteur, rapport, "code commune")
        groupements = _assurer_groupements(lot, lecteur, contexte)
        lot = [(numero, p) for numero, p in lot if p["siren"] in groupements]
        existantes = {
            c.code_insee: c
            for c in Commune.objects.filter(code_insee__in=[p["code"] for _, p in lot]).select_related("groupement")
        }
        nouvelles, modifiees = [], []
        for _, propre in lot:
            commune, groupement = existantes.get(propre["code"]), groupements[propre["siren"]]
            if commune is None:
                nouvelles.append(_nouvelle_commune(propre, groupement))
            elif commune.groupement_id == groupement.pk:
                rapport.inchangees += 1
            elif commune.groupement_id and commune.groupement.type == Collectivite.Type.SYNDICAT:
                # An agent linked this commune to the syndicat that runs its schools: the EPCI does not replace it.
                rapport.ignorees["Commune rattachée à un syndicat : rattachement conservé"] += 1
            else:
                ancien = commune.groupement.nom if commune.groupement_id else "aucun"
                rapport.noter_modification(f"{commune.code_insee} : groupement « {ancien} » → « {groupement.nom} »")
                commune.groupement = groupement
                modifiees.append(commune)
        creer_avec_historique(nouvelles, Commune, contexte)
        appliquer_modifications(modifiees, Commune, {"groupement"}, contexte)
        rapport.creees += len(nouvelles)
        rapport.modifiees += len(modifiees)


def _nouvelle_commune(propre: dict, groupement: Collectivite | None = None) -> Commune:
    # bulk_create bypasses Commune.save(), hence the département set here.
    code = propre["code"]
    return Commune(code_insee=code, nom=propre["nom"], departement=departement_of(code), groupement=groupement)


def _assurer_groupements(lot, lecteur, contexte: Contexte) -> dict[str, Collectivite]:
    """The groupings named in the lot, by SIREN; the new ones are created with their address marked to complete.

    The rows naming a SIREN that belongs to a commune's collectivité are rejected and left out of the answer.
    """
    rapport = contexte.rapport
    demandes = {p["siren"]: p for _, p in lot}
    existants = {c.siren: c for c in Collectivite.objects.filter(siren__in=demandes.keys())}
    refuses = {s: c for s, c in existants.items() if not c.est_groupement}
    for numero, propre in lot:
        if propre["siren"] in refuses:
            rapport.lignes_rejetees += 1
            rapport.rejeter(
                numero,
                lecteur.nom_colonne("epci"),
                propre["siren"],
                f"ce SIREN est celui de la collectivité « {refuses[propre['siren']].nom} », qui est une commune, "
                "pas un groupement.",
            )
    nouveaux = [_nouveau_groupement(p, rapport) for s, p in demandes.items() if s not in existants]
    creer_avec_historique(nouveaux, Collectivite, contexte)
    rapport.groupements_crees += len(nouveaux)
    existants.update({g.siren: g for g in nouveaux})
    return {s: c for s, c in existants.items() if s not in refuses}


def _nouveau_groupement(propre: dict, rapport: RapportImport) -> Collectivite:
    return Collectivite(
        nom=propre["nom_epci"],
        type=propre["type"],
        siren=propre["siren"],
        departement=propre["dep"],
        # Required to sign a convention but absent from INSEE's file: visibly marked for an agent to fill in.
        adresse=PLACEHOLDER,
        code_postal="",
        ville=PLACEHOLDER,
        representant_prenom=PLACEHOLDER,
        representant_nom=PLACEHOLDER,
        representant_qualite="Président",
        notes=(
            f"Groupement créé par l'import de la {rapport.format} (fichier « {rapport.fichier} »). Adresse, code "
            "postal, ville et représentant sont à compléter avant d'établir une convention."
        ),
    )
