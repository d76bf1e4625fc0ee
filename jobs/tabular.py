"""Reading CSV files by column names, checking their values, and reporting line by line: the shared machinery of
every file import (the communes of INSEE in collectivites, the schools of the Ministry in ecoles).

A file is streamed and read in lots: the rows of a lot are checked in Python, then compared with the database by the
import and written with bulk operations that also write the history (`creer_avec_historique`,
`appliquer_modifications`). The whole file is one transaction (`executer`), rolled back for a dry run or when rows
were rejected without `ignorer_invalides`: a file with errors imports nothing. Every rejected row is reported with
its line number, its column as the file names it, its value and the reason, in French.
"""

from __future__ import annotations

import contextvars
import csv
import dataclasses
import datetime
import io
import re
import sys
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO

from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from documents.texte import caractere_interdit

TAILLE_LOT = 2000
# Kept in full up to these numbers; beyond, only counted, so that a national file cannot fill the memory.
MAX_REJETS_DETAILLES = 1000
MAX_MODIFICATIONS_DETAILLEES = 500
ABSENTES_AFFICHEES = 30


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


@lru_cache(maxsize=4096)
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

# The checks below are pure functions of one value, cached: in a national file the same commune, postal code,
# SIRET or date comes back on many rows (a failed check raises, and is not cached).
CACHE_VALEURS = 32768

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


@lru_cache(maxsize=CACHE_VALEURS)
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
        if self.modifications:
            out.append("Changements :" if self.applique else "Changements que l'import ferait :")
            out += [f"  {texte}" for texte in self.modifications]
            if self.nb_modifications > len(self.modifications):
                out.append(f"  … et d'autres : {self.nb_modifications} en tout.")
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
    # The date the file describes (the composition of the EPCI "au 1er janvier"): today unless given.
    date_effet: datetime.date | None = None


def motif_historique(format_fichier: str, nom_fichier: str) -> str:
    return f"Import {format_fichier} ({Path(nom_fichier).name})"[:100]


# The key of the PostgreSQL advisory lock that imports take in turn (any number no other lock of the database uses).
VERROU_IMPORTS = 0x454E5449


def executer(traitement: Callable[[], None], rapport: RapportImport) -> RapportImport:
    """Runs a whole import in one transaction, and rolls it back unless it is to be kept (see RapportImport)."""
    with transaction.atomic(), CopiesEnFond():
        attendre_les_autres_imports()
        traitement()
        if not rapport.applique:
            transaction.set_rollback(True)
    # Duplicates are found lot by lot, after the other checks: the report lists the rows in the file's order.
    rapport.rejets.sort(key=lambda rejet: rejet.ligne)
    return rapport


def attendre_les_autres_imports() -> None:
    """Imports run one after the other. Two at once would each insert the communes (or schools) that the other has
    not committed yet, and the second would fail on their unique key at the first one's commit; in turn, the second
    reads what the first wrote. Held until the end of the transaction; SQLite lets one transaction write at a time."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [VERROU_IMPORTS])


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


# Fields whose Python value is what the database drivers take as is; the others go through get_db_prep_save.
TYPES_SANS_CONVERSION = {
    "AutoField",
    "BigAutoField",
    "BigIntegerField",
    "BooleanField",
    "CharField",
    "EmailField",
    "ForeignKey",
    "IntegerField",
    "PositiveIntegerField",
    "SmallIntegerField",
    "TextField",
}
LIGNES_PAR_INSERT = 500


def creer_avec_historique(objets: list, model, contexte: Contexte) -> None:
    """Inserts new objects and their "created" history records; sets their primary keys.

    The same rows as `bulk_create_with_history`, written by multi-row INSERTs built here: for a national file (32,000
    schools and 17,000 communes) Django's per-value SQL compilation and the historical instances took two thirds of
    the import. No model here has a save() or signal that bulk_create would have run either.
    """
    if not objets:
        return
    champs = [f for f in model._meta.concrete_fields if not f.primary_key]
    pks = _inserer(model, champs, [[getattr(objet, f.attname) for f in champs] for objet in objets], retour=True)
    for objet, pk in zip(objets, pks, strict=True):
        objet.pk = pk
        objet._state.adding = False
    historique = model.history.model
    utilisateur = getattr(contexte.utilisateur, "pk", None)
    constantes = {
        "history_date": timezone.now(),
        "history_type": "+",
        "history_change_reason": contexte.motif_historique,
        "history_user_id": utilisateur,
    }
    champs_h = [f for f in historique._meta.concrete_fields if not f.primary_key]
    inconnus = {f.attname for f in champs_h} - constantes.keys() - {f.attname for f in model._meta.concrete_fields}
    if inconnus:  # a history field this function does not know how to fill: better fail than write it wrong
        raise ValueError(f"Champs d'historique inconnus pour {model.__name__} : {sorted(inconnus)}")
    valeurs = [[constantes.get(f.attname, getattr(objet, f.attname, None)) for f in champs_h] for objet in objets]
    _inserer(historique, champs_h, valeurs, retour=False)


def _inserer(model, champs: list, lignes: list[list], retour: bool) -> list:
    """Multi-row INSERTs of `lignes` (values in the order of `champs`); the new primary keys when `retour`."""
    # The connection itself: `django.db.connection` is a proxy whose every attribute is a thread-local look-up.
    base = connections[DEFAULT_DB_ALIAS]
    conversions = [
        (index, champ) for index, champ in enumerate(champs) if champ.get_internal_type() not in TYPES_SANS_CONVERSION
    ]
    copie = base.vendor == "postgresql"
    for index, champ in conversions:
        converties = {}  # a date or a history timestamp repeats over thousands of rows: converted once
        for ligne in lignes:
            valeur = ligne[index]
            if valeur not in converties:
                convertie = champ.get_db_prep_save(valeur, base)
                # For a COPY, into its text once too: str() of a timestamp costs as much as the rest of its row.
                converties[valeur] = str(convertie) if copie and convertie is not None else convertie
            ligne[index] = converties[valeur]
    if copie:
        return _copier(model, champs, lignes, retour)
    quote = connection.ops.quote_name
    colonnes = ", ".join(quote(champ.column) for champ in champs)
    place = "(" + ", ".join(["%s"] * len(champs)) + ")"
    par_insert = min(LIGNES_PAR_INSERT, (connection.features.max_query_params or 10**6) // len(champs))
    suffixe = f" RETURNING {quote(model._meta.pk.column)}" if retour else ""
    pks = []
    with connection.cursor() as cursor:
        for debut in range(0, len(lignes), par_insert):
            paquet = lignes[debut : debut + par_insert]
            sql = f"INSERT INTO {quote(model._meta.db_table)} ({colonnes}) VALUES {', '.join([place] * len(paquet))}"
            cursor.execute(sql + suffixe, [valeur for ligne in paquet for valeur in ligne])
            if retour:
                pks += [row[0] for row in cursor.fetchall()]
    return pks


# `n` new keys of a table: one array rather than a row per key, which the driver parses in C. The sequence is looked up
# once (OFFSET 0 keeps the subquery apart): called on each row, pg_get_serial_sequence took 5 times the 2,000 nextval.
SQL_CLES = (
    "SELECT array_agg(nextval(sequence)) FROM generate_series(1, %s), "
    "(SELECT pg_get_serial_sequence(%s, %s)::regclass AS sequence OFFSET 0) AS s"
)


def _copier(model, champs: list, lignes: list[list], retour: bool) -> list:
    """PostgreSQL: the same rows by one COPY, which the server parses several times faster than INSERTs. The new
    primary keys are taken from the table's sequence first, then copied with the rows."""
    quote = connection.ops.quote_name
    pks = []
    if retour:
        pk = model._meta.pk
        parametres = [len(lignes), quote(model._meta.db_table), pk.column]
        if copies := _copies_en_fond.get():
            pks = copies.cles(parametres)
        else:
            with connection.cursor() as cursor:
                cursor.execute(SQL_CLES, parametres)
                pks = cursor.fetchone()[0]
        champs, lignes = [pk, *champs], [[cle, *ligne] for cle, ligne in zip(pks, lignes, strict=True)]
    colonnes = ", ".join(quote(champ.column) for champ in champs)
    # In COPY's CSV, NULL is an unquoted empty value and anything else is quoted, so that "" stays an empty string.
    donnees = io.StringIO(
        "".join(
            ",".join(["" if v is None else '"' + str(v).replace('"', '""') + '"' for v in ligne]) + "\n"
            for ligne in lignes
        )
    )
    copy = f"COPY {quote(model._meta.db_table)} ({colonnes}) FROM STDIN WITH (FORMAT csv)"
    if copies := _copies_en_fond.get():
        copies.lancer(copy, donnees)
    else:
        with connection.cursor() as cursor:
            cursor.cursor.copy_expert(copy, donnees)
    return pks


_copies_en_fond: contextvars.ContextVar[CopiesEnFond | None] = contextvars.ContextVar("copies_en_fond", default=None)


class CopiesEnFond:
    """PostgreSQL: an import's COPYs run on a second thread while this one reads and checks the next lines.

    The database server then works on the machine's other core instead of waiting for Python, and Python for it: a
    first national import takes the time of the longer of the two, not their sum. Order and errors stay those of a
    plain run: one thread sends the COPYs in turn, any other statement on the connection first waits for them (an
    execute wrapper), and so does the end of the block, which raises a COPY's error before the transaction commits.
    psycopg2 serialises the use of one connection by two threads. The new rows' keys are taken on a second
    connection (`cles`), so that they need not wait.
    """

    def __enter__(self):
        self.base = connections[DEFAULT_DB_ALIAS]
        self.actif = self.base.vendor == "postgresql"
        if self.actif:
            self.executeur = ThreadPoolExecutor(max_workers=1, thread_name_prefix="copy")
            self.en_cours: list[Future] = []
            self.connexion_cles = None
            # Foreign keys are checked by each COPY, on the server while this thread goes on, rather than all at once
            # at commit (Django declares them DEFERRABLE INITIALLY DEFERRED), when nothing is left to overlap with:
            # half a second for a national schools import. The COPYs are sent in an order that satisfies them.
            with self.base.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            self.jeton = _copies_en_fond.set(self)
            self.attente = self.base.execute_wrapper(self._attendre_avant)
            self.attente.__enter__()
        return self

    def __exit__(self, *exc_info):
        if not self.actif:
            return
        self.attente.__exit__(*exc_info)
        _copies_en_fond.reset(self.jeton)
        try:
            self.attendre()  # a COPY's own error comes first: the block's may only be its consequence
        finally:
            self.executeur.shutdown()
            if self.connexion_cles is not None:
                self.connexion_cles.close()
        if exc_info[0] is None and not self.base.needs_rollback:
            # Back to Django's deferred checks for the rest of an enclosing transaction (a block that fails or is
            # a dry run is rolled back, and the setting with it).
            with self.base.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")

    def cles(self, parametres: list) -> list[int]:
        """New keys (SQL_CLES) taken on a connection of their own, in autocommit, without waiting for the COPYs in
        flight on the import's: a sequence is outside transactions, so they are the keys the import's connection
        would have got. The next COPY is then sent as soon as its rows are ready, and the server never idles between
        two COPYs while this thread waits for keys."""
        if self.connexion_cles is None:
            with self.base.wrap_database_errors:
                self.connexion_cles = self.base.Database.connect(**self.base.get_connection_params())
                self.connexion_cles.autocommit = True
        with self.base.wrap_database_errors, self.connexion_cles.cursor() as cursor:
            cursor.execute(SQL_CLES, parametres)
            return cursor.fetchone()[0]

    def lancer(self, copy: str, donnees: io.StringIO) -> None:
        self.en_cours.append(self.executeur.submit(self._copier, copy, donnees))

    def _copier(self, copy: str, donnees: io.StringIO) -> None:
        # Read in one piece: psycopg2 takes the GIL for each piece it reads, which this thread, busy with the next
        # lines, would hand over only every few milliseconds; the server then waits on the sending, not on its work.
        with self.base.wrap_database_errors, self.base.connection.cursor() as cursor:
            cursor.copy_expert(copy, donnees, size=len(donnees.getvalue()) + 1)

    def attendre(self) -> None:
        en_cours, self.en_cours = self.en_cours, []
        for future in en_cours:
            future.result()

    def _attendre_avant(self, execute, sql, params, many, context):
        self.attendre()
        return execute(sql, params, many, context)


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
