"""Importing the schools from the Ministry's open data: "Annuaire de l'éducation" (current and older column names),
"Adresse et géolocalisation des établissements" and "IPS des écoles".

A school is identified by its UAI. Only premier-degré schools are kept; the others are counted as skipped with
their reason. A school missing from the file is reported, never deleted: it may be in the Annexe 1 of a signed
convention. The reading, the report and the run are jobs.tabular's; the French codes are collectivites.codes'.
"""

from __future__ import annotations

import datetime
import hashlib
import re
from collections.abc import Callable
from functools import cached_property, lru_cache

from django.core.exceptions import ValidationError

from collectivites.academies import (
    ACADEMIES,
    Territoire,
    academie_de_commune,
    academie_par_code,
    academie_par_nom,
    territoire_de_commune,
)
from collectivites.codes import code_academie, code_insee, code_postal, departement_filtre, departement_insee, siret
from collectivites.importers import assurer_communes
from collectivites.imports_fichiers import FormatImport
from collectivites.models import Commune
from collectivites.validators import departement_of
from jobs.tabular import (
    Colonne,
    Contexte,
    ErreurChamp,
    Erreurs,
    LecteurCsv,
    RapportImport,
    appliquer_modifications,
    creer_avec_historique,
    date_iso,
    executer,
    lignes_valides,
    message_de,
    motif_historique,
    normaliser_valeur,
    ouvrir,
    par_lots,
    sans_doublons,
    texte,
)

from .models import Ecole
from .validators import validate_uai

# The schools' file among the imports run from the admin (registered in EcolesConfig.ready()).
IMPORT_ECOLES = FormatImport(
    type="ecoles",
    libelle="Écoles (données du ministère)",
    importeur="ecoles.importers.importer_ecoles",
    droits=("ecoles.add_ecole", "ecoles.change_ecole"),
    url_liste="admin:ecoles_ecole_changelist",
    url_depot="admin:ecoles_ecole_importer",
    libelle_retour="Retour aux écoles",
)

COLONNES = [
    Colonne("uai", "UAI", ("identifiant_de_l_etablissement", "numero_uai", "uai", "code_uai")),
    Colonne(
        "nom",
        "nom de l'école",
        ("nom_etablissement", "appellation_officielle", "nom_de_l_etablissement", "nom_de_l_etablissment", "nom"),
    ),
    Colonne("denomination", "dénomination", ("denomination_principale",)),
    Colonne("type", "type d'établissement", ("type_etablissement",)),
    Colonne("code_nature", "code nature", ("code_nature", "nature_uai")),
    Colonne("libelle_nature", "libellé de la nature", ("libelle_nature", "nature_uai_libe")),
    Colonne("maternelle", "niveau maternelle", ("ecole_maternelle",)),
    Colonne("elementaire", "niveau élémentaire", ("ecole_elementaire",)),
    Colonne(
        "secteur",
        "secteur public ou privé",
        ("statut_public_prive", "secteur_public_prive_libe", "secteur_public_prive", "secteur"),
    ),
    Colonne("etat", "état", ("etat", "etat_etablissement_libe")),
    Colonne("adresse", "adresse", ("adresse_1", "adresse_uai", "adresse")),
    Colonne("adresse_2", "complément d'adresse", ("adresse_2", "lieu_dit_uai")),
    Colonne("code_postal", "code postal", ("code_postal", "code_postal_uai")),
    Colonne(
        "code_commune",
        "code INSEE de la commune",
        ("code_commune", "code_insee_de_la_commune", "code_insee_commune", "code_insee"),
    ),
    Colonne("nom_commune", "nom de la commune", ("nom_commune", "libelle_commune", "nom_de_la_commune", "commune")),
    Colonne("departement", "code du département", ("code_departement", "code_du_departement")),
    Colonne("academie", "code de l'académie", ("code_academie",)),
    Colonne("nom_academie", "académie", ("libelle_academie", "academie")),
    Colonne("siret", "SIRET", ("siren_siret", "siret")),
    Colonne("date_ouverture", "date d'ouverture", ("date_ouverture",)),
    Colonne("date_fermeture", "date de fermeture", ("date_fermeture",)),
    Colonne("date_maj", "date de mise à jour", ("date_maj_ligne",)),
]
OBLIGATOIRES = ["uai", "nom", "secteur", "code_commune"]

# How each file is recognised, for the report (a file is read the same way whatever its kind).
FORMATS = [
    ("identifiant_de_l_etablissement", "Annuaire de l'éducation"),
    ("numero_uai", "Adresse et géolocalisation des établissements"),
    ("ips", "IPS des écoles"),
]

# The Ministry's nature codes (nature_uai) of premier-degré schools.
NATURES_MATERNELLES = {101, 102, 103, 111}  # maternelle, annexe d'IUFM, d'application, spécialisée
NATURES_ELEMENTAIRES = {151, 152, 153, 160, 161, 162, 169}  # niveau élémentaire, annexe, application, plein air…
NATURE_SANS_EFFECTIFS = 170  # "école sans effectifs permanents": no pupils to register

ETATS = {
    "OUVERT": Ecole.Etat.OUVERTE,
    "OUVERTE": Ecole.Etat.OUVERTE,
    "A FERMER": Ecole.Etat.A_FERMER,
    "FERME": Ecole.Etat.FERMEE,
    "FERMEE": Ecole.Etat.FERMEE,
}
CHAMPS_FACULTATIFS = {
    "etat": "etat",
    "adresse": "adresse",
    "code_postal": "code_postal",
    "siret": "siret",
    "date_ouverture": "date_ouverture",
    "date_fermeture": "date_fermeture",
}


def departement_of_uai(uai: str) -> str:
    """The département of a UAI in INSEE's form: "011…" → "11", "620…" → "2A", "720…" → "2B", "971…" → "971"."""
    prefix = uai[:3]
    return {"620": "2A", "720": "2B"}.get(prefix) or (prefix[1:] if prefix.startswith("0") else prefix)


def importer_ecoles(
    chemin_ou_fichier,
    *,
    nom_fichier: str = "",
    academie: str = "",
    departement: str = "",
    simulation: bool = False,
    ignorer_invalides: bool = False,
    utilisateur=None,
    progression: Callable[[int, int, int], None] | None = None,
) -> RapportImport:
    """Imports a file of schools; returns the report. Raises FichierIllisible when the file cannot be read at all."""
    binaire, nom_lu, a_fermer = ouvrir(chemin_ou_fichier)
    nom_fichier = nom_fichier or nom_lu
    try:
        lecteur = LecteurCsv(binaire, nom_fichier, COLONNES)
        lecteur.exiger(COLONNES, OBLIGATOIRES, "les écoles (Annuaire de l'éducation, géolocalisation, IPS)")
        format_ = next((name for column, name in FORMATS if column in lecteur.normalises), "fichier d'écoles")
        filtre = Filtre(
            academie=code_academie(academie) if academie else "",
            departement=departement_filtre(departement) if departement else "",
        )
        rapport = RapportImport(
            nom_fichier, "écoles", format_, simulation=simulation, ignorer_invalides=ignorer_invalides
        )
        contexte = Contexte(rapport, utilisateur, motif_historique(format_, nom_fichier))
        return executer(lambda: ImportEcoles(lecteur, contexte, filtre).traiter(progression), rapport)
    finally:
        if a_fermer:
            binaire.close()


class Filtre:
    def __init__(self, academie: str, departement: str):
        self.academie, self.departement = academie, departement

    def raison_hors_champ(self, valeurs: dict) -> str | None:
        if self.departement:
            departement = _departement_probable(valeurs)
            if departement is not None and departement != self.departement:
                return f"Hors du département {self.departement}"
        if self.academie and not self._dans_academie(valeurs):
            return f"Hors de l'académie {self.academie} ({ACADEMIES[self.academie].nom})"
        return None

    def _dans_academie(self, valeurs: dict) -> bool:
        """From the commune, by the table of académies; a commune code too damaged to tell is kept, to be reported."""
        academie = academie_de_commune(valeurs["code_commune"].upper())
        return academie is None or academie.code == self.academie


def _departement_probable(valeurs: dict) -> str | None:
    """The row's département for the filter, before the checks: its commune's (the schools of Saint-Martin, 978,
    carry UAIs of Guadeloupe, 971), else the UAI's, else the département column's."""
    if re.fullmatch(r"\d[\dAB]\d{3}", commune := valeurs.get("code_commune", "").upper()):
        return departement_of(commune)
    if re.match(r"^\d{3}", valeurs["uai"]):
        return departement_of_uai(valeurs["uai"])
    try:
        return departement_insee("departement", valeurs.get("departement", ""), 3)
    except ErreurChamp:
        return None


def raison_hors_premier_degre(valeurs: dict) -> str | None:
    """Why a row is not a premier-degré school, or None. Decided before the checks: a collège is skipped as such."""
    type_ = valeurs.get("type", "")
    if type_ and normaliser_valeur(type_) != "ECOLE":
        return f"Pas une école du premier degré : {type_}"
    code = valeurs.get("code_nature", "")
    if code.isdigit():
        nature = int(code)
        if nature == NATURE_SANS_EFFECTIFS:
            return "École sans effectifs permanents (nature 170) : pas d'élèves à inscrire"
        if nature not in NATURES_MATERNELLES | NATURES_ELEMENTAIRES:
            return f"Pas une école du premier degré : {valeurs.get('libelle_nature') or f'nature {code}'}"
    if not type_ and not code and re.match(r"^(COLLEGE|LYCEE)\b", normaliser_valeur(valeurs["nom"])):
        return f"Pas une école du premier degré : {valeurs['nom']}"
    return None


def nature_par_nom(nom: str, maternelle_possible: bool = True) -> str | None:
    nom = normaliser_valeur(nom)
    if "PRIMAIRE" in nom:
        return Ecole.Nature.PRIMAIRE
    if "ELEMENTAIRE" in nom:
        return Ecole.Nature.ELEMENTAIRE
    if maternelle_possible and "MATERNELLE" in nom:
        return Ecole.Nature.MATERNELLE
    return None


def nature(valeurs: dict) -> tuple[str, bool]:
    """The school's nature, and whether the file says it for sure (a guess never overwrites a stored nature).

    The nature code tells maternelle from élémentaire level (151 covers both élémentaire and primaire schools);
    the annuaire's level flags then tell primaire (both levels) from élémentaire; older files only have the
    name ("ECOLE PRIMAIRE PUBLIQUE"). The IPS file lists schools with an élémentaire level, by name only.
    """
    code = valeurs.get("code_nature", "")
    noms = f"{valeurs.get('denomination', '')} {valeurs['nom']}"
    if code and not code.isdigit():
        raise ErreurChamp(
            "code_nature",
            code,
            "code nature illisible : un nombre de 3 chiffres est attendu (101 école maternelle, 151 école de niveau "
            "élémentaire…).",
        )
    if code and int(code) in NATURES_MATERNELLES:
        return Ecole.Nature.MATERNELLE, True
    if code:
        maternelle, elementaire = valeurs.get("maternelle", ""), valeurs.get("elementaire", "")
        if maternelle == "1" and elementaire == "1":
            return Ecole.Nature.PRIMAIRE, True
        if elementaire == "1":
            return Ecole.Nature.ELEMENTAIRE, True
        found = nature_par_nom(noms, maternelle_possible=False)
        return (found, True) if found else (Ecole.Nature.ELEMENTAIRE, False)
    found = nature_par_nom(noms)
    return (found, True) if found else (Ecole.Nature.ELEMENTAIRE, False)


@lru_cache(maxsize=64)
def secteur(valeur: str) -> str:
    normalise = normaliser_valeur(valeur)
    if normalise.startswith("PUBLIC"):
        return Ecole.Secteur.PUBLIC
    if normalise.startswith("PRIVE"):
        return Ecole.Secteur.PRIVE
    if not valeur:
        raise ErreurChamp("secteur", valeur, "valeur obligatoire manquante (secteur public ou privé).")
    raise ErreurChamp("secteur", valeur, "secteur inconnu : « Public » ou « Privé » attendu.")


@lru_cache(maxsize=64)
def etat(valeur: str) -> str:
    if normaliser_valeur(valeur) in ETATS:
        return ETATS[normaliser_valeur(valeur)]
    if not valeur:
        raise ErreurChamp("etat", valeur, "valeur obligatoire manquante (état de l'école).")
    raise ErreurChamp("etat", valeur, "état inconnu : « OUVERT », « A FERMER » ou « FERME » attendu.")


@lru_cache(maxsize=4096)
def date_ou_rien(cle: str, valeur: str) -> datetime.date | None:
    if not date_iso(cle, valeur):
        return None
    try:
        return datetime.date.fromisoformat(valeur)
    except ValueError:
        raise ErreurChamp(cle, valeur, "cette date n'existe pas dans le calendrier.") from None


def uai(valeur: str) -> str:
    valeur = valeur.upper()
    if not valeur:
        raise ErreurChamp("uai", valeur, "valeur obligatoire manquante (UAI).")
    try:
        validate_uai(valeur)
    except ValidationError as error:
        raise ErreurChamp("uai", valeur, message_de(error)) from None
    return valeur


def empreinte_ligne(valeurs: dict) -> str:
    """A fingerprint of a row's values under our column keys (the same file read again gives the same)."""
    contenu = "\x1f".join(f"{cle}\x1e{valeur}" for cle, valeur in sorted(valeurs.items()))
    return hashlib.blake2b(contenu.encode(), digest_size=16).hexdigest()


# The stored fields an import may change: what a row is compared with.
CHAMPS_COMPARES = (
    "uai",
    "nom",
    "nature",
    "secteur",
    "etat",
    "commune_id",
    "academie",
    "adresse",
    "code_postal",
    "siret",
    "date_ouverture",
    "date_fermeture",
    "empreinte_import",
)
POSITIONS = {champ: index for index, champ in enumerate(CHAMPS_COMPARES, start=1)}  # after the primary key

# The states that take a school out of new conventions: the report counts the schools the file moves into them.
FERMETURES = {Ecole.Etat.A_FERMER, Ecole.Etat.FERMEE}


class ImportEcoles:
    def __init__(self, lecteur: LecteurCsv, contexte: Contexte, filtre: Filtre):
        self.lecteur, self.contexte, self.filtre = lecteur, contexte, filtre
        self.rapport = contexte.rapport
        self.rapport.fermees = 0
        # The UAI of every valid row with its line (a second row for one UAI is an error), and every UAI read
        # (the schools absent from the file are those of its départements not read). Short strings: a few MB for
        # a national file, the only memory that grows with it.
        self.vues: dict[str, int] = {}
        self.uai_lus: set[str] = set()
        self.departements: set[str] = set()
        self.champs_fichier = {champ for cle, champ in CHAMPS_FACULTATIFS.items() if lecteur.a(cle)}
        # Every stored school, read once in one query, a few MB for the whole country: its UAI, the fingerprint of
        # the row it was last imported from (Ecole.empreinte_import: a row read again unchanged is neither checked nor
        # compared) and, unless closed, its département (for the schools absent from the file). A lot then reads only
        # its stored schools; a first import reads nothing lot by lot (on PostgreSQL, such a read would first wait
        # for the COPYs in flight).
        self.stockees: dict[str, tuple[str, str | None]] = {
            uai: (empreinte, None if etat == Ecole.Etat.FERMEE else departement)
            for uai, empreinte, etat, departement in Ecole.objects.order_by().values_list(
                "uai", "empreinte_import", "etat", "commune__departement"
            )
        }
        self.rapides: set[str] = set()

    @cached_property
    def communes(self) -> dict[str, int]:
        """Every stored commune (code → primary key), read at the first lot that has a row to compare, which a file
        read again unchanged never has; new communes are added as they are created."""
        return dict(Commune.objects.order_by().values_list("code_insee", "pk"))

    def traiter(self, progression) -> None:
        for lot in par_lots(lignes_valides(self.lecteur, self.rapport, self.verifier, progression)):
            lot = sans_doublons(lot, self.vues, "uai", "uai", self.lecteur, self.rapport, "UAI")
            self.appliquer(lot)
        self.signaler_absentes()

    def verifier(self, valeurs: dict) -> dict | None:
        """The cleaned school of one row; None when skipped; LigneInvalide with every error of the row."""
        raison = raison_hors_premier_degre(valeurs) or self.filtre.raison_hors_champ(valeurs)
        if raison:
            self.rapport.ignorees[raison] += 1
            return None
        code = valeurs["uai"].upper()
        if code in self.rapides:
            raise ErreurChamp("uai", valeurs["uai"], "UAI en double (déjà plus haut dans le fichier).")
        empreinte = empreinte_ligne(valeurs)
        if code not in self.uai_lus and self.stockees.get(code, ("",))[0] == empreinte:
            return self.inchangee(code, valeurs)
        self.uai_lus.add(code)
        erreurs = Erreurs()
        propre = {
            "uai": erreurs.essayer(uai, valeurs["uai"]),
            "nom": erreurs.essayer(texte, "nom", valeurs["nom"], 200, "nom de l'école"),
            "secteur": erreurs.essayer(secteur, valeurs["secteur"]),
            "code_commune": erreurs.essayer(code_insee, "code_commune", valeurs["code_commune"]),
            "nom_commune": erreurs.essayer(texte, "nom_commune", valeurs.get("nom_commune", ""), 150, "nom", False),
        }
        propre["nature"], propre["nature_certaine"] = erreurs.essayer(nature, valeurs) or (None, False)
        if "etat" in valeurs:
            propre["etat"] = erreurs.essayer(etat, valeurs["etat"])
        if "adresse" in valeurs:
            adresse = ", ".join(part for part in (valeurs["adresse"], valeurs.get("adresse_2", "")) if part)
            propre["adresse"] = erreurs.essayer(texte, "adresse", adresse, 250, "adresse", False)
        propre["code_postal"] = erreurs.essayer(code_postal, "code_postal", valeurs.get("code_postal", ""))
        propre["siret"] = erreurs.essayer(siret, "siret", valeurs.get("siret", ""))
        for cle in ("date_ouverture", "date_fermeture"):
            propre[cle] = erreurs.essayer(date_ou_rien, cle, valeurs.get(cle, ""))
        erreurs.essayer(date_iso, "date_maj", valeurs.get("date_maj", ""))
        self.verifier_departement(valeurs, propre, erreurs)
        erreurs.lever()
        propre["empreinte_import"] = empreinte
        return propre

    def inchangee(self, code: str, valeurs: dict) -> None:
        """A row as it was when the stored school was last imported from it: checked then, nothing to do now."""
        self.uai_lus.add(code)
        self.rapides.add(code)
        self.departements.add(departement_of(valeurs["code_commune"].upper()))
        self.rapport.inchangees += 1

    def verifier_departement(self, valeurs: dict, propre: dict, erreurs: Erreurs) -> None:
        """The school's UAI, commune, département and académie must tell the same place (the table of académies)."""
        if not (propre["uai"] and propre["code_commune"]):
            return
        territoire = territoire_de_commune(propre["code_commune"])
        if territoire is None:
            erreurs.ajouter(
                "code_commune",
                propre["code_commune"],
                "cette commune n'est dans le ressort d'aucune académie (les écoles de Nouvelle-Calédonie, de "
                "Polynésie française et de Wallis-et-Futuna relèvent de ces territoires).",
            )
            return
        if propre["uai"][:3] != territoire.prefixe_uai:
            erreurs.ajouter(
                "code_commune",
                propre["code_commune"],
                f"cette commune ({territoire.libelle}) a des écoles dont l'UAI commence par {territoire.prefixe_uai}, "
                f"alors que l'UAI {propre['uai']} commence par {propre['uai'][:3]}.",
            )
            return
        self.verifier_colonnes_territoire(valeurs, propre["uai"], territoire, erreurs)
        propre["academie"] = territoire.academie.code
        self.departements.add(territoire.code)

    def verifier_colonnes_territoire(self, valeurs: dict, uai: str, territoire: Territoire, erreurs: Erreurs):
        """The file's own département and académie columns, when it has them, agree with the table."""
        if valeurs.get("departement") is not None:
            departement = erreurs.essayer(departement_insee, "departement", valeurs["departement"], 3)
            # Saint-Martin's schools are written under Guadeloupe (971), the département of their UAI.
            if departement and departement not in (territoire.code, departement_of_uai(uai)):
                erreurs.ajouter(
                    "departement",
                    valeurs["departement"],
                    f"ce département ne correspond pas à l'UAI {uai}, qui commence par celui de l'école ({uai[:3]}).",
                )
        academie = territoire.academie
        code, nom = valeurs.get("academie", ""), valeurs.get("nom_academie", "")
        if code and academie_par_code(code) != academie:
            erreurs.ajouter("academie", code, f"l'école de cette commune relève de l'académie {academie}.")
        elif nom and academie_par_nom(nom) != academie:
            erreurs.ajouter("nom_academie", nom, f"l'école de cette commune relève de l'académie {academie}.")

    def appliquer(self, lot: list[tuple[int, dict]]) -> None:
        """Compares one lot with the database (one query per model) and writes it in bulk, with its history.

        The stored schools are compared as plain values; only the changed ones are loaded as instances (a national
        file read again changes a few hundred schools out of 32,000).
        """
        # Read before the communes are created: on PostgreSQL their COPY is then sent in the background
        # (CopiesEnFond) and this query, after it, would wait for it.
        a_lire = [p["uai"] for _, p in lot if p["uai"] in self.stockees]
        stockees = {
            ligne[1]: ligne
            for ligne in (Ecole.objects.filter(uai__in=a_lire).values_list("pk", *CHAMPS_COMPARES) if a_lire else [])
        }
        demandes = {c: d for c, d in self._communes_demandees(lot).items() if c not in self.communes}
        self.communes.update(assurer_communes(demandes, self.contexte, absentes=True))
        lot = self._rejeter_sans_commune(lot, self.communes)
        nouvelles, a_modifier, empreintes = [], {}, []
        for _, propre in lot:
            commune_id = self.communes[propre["code_commune"]]
            ligne = stockees.get(propre["uai"])
            if ligne is None:
                nouvelles.append(self._nouvelle(propre, commune_id))
            elif any(ligne[POSITIONS[champ]] != valeur for champ, valeur in self._voulu(propre, commune_id).items()):
                a_modifier[ligne[0]] = propre
            else:
                self.rapport.inchangees += 1
                if ligne[POSITIONS["empreinte_import"]] != propre["empreinte_import"]:
                    empreintes.append(Ecole(pk=ligne[0], empreinte_import=propre["empreinte_import"]))
        creer_avec_historique(nouvelles, Ecole, self.contexte)
        self.rapport.creees += len(nouvelles)
        # Same values from a row written differently (another file's columns): only the fingerprint is new.
        Ecole.objects.bulk_update(empreintes, ["empreinte_import"], batch_size=500)
        if a_modifier:
            self._modifier(a_modifier)

    def _voulu(self, propre: dict, commune_id: int) -> dict:
        """The stored values the row asks for; a guessed nature and columns the file lacks are left as they are."""
        voulu = {"nom": propre["nom"], "secteur": propre["secteur"], "commune_id": commune_id}
        voulu["academie"] = propre["academie"]
        if propre["nature_certaine"]:
            voulu["nature"] = propre["nature"]
        voulu.update({champ: propre[champ] for champ in self.champs_fichier})
        return voulu

    def _modifier(self, a_modifier: dict[int, dict]) -> None:
        ecoles = list(Ecole.objects.filter(pk__in=a_modifier).select_related("commune"))
        ids = {self.communes[p["code_commune"]] for p in a_modifier.values()}
        communes = Commune.objects.in_bulk(ids)
        champs: set[str] = set()
        for ecole in ecoles:
            propre = a_modifier[ecole.pk]
            champs |= self._changements(ecole, propre, communes[self.communes[propre["code_commune"]]])
        appliquer_modifications(ecoles, Ecole, champs, self.contexte)
        self.rapport.modifiees += len(ecoles)

    def _communes_demandees(self, lot) -> dict[str, tuple[str, str]]:
        demandes: dict[str, tuple[str, str]] = {}
        for _, propre in lot:
            code = propre["code_commune"]
            if not demandes.get(code, ("", ""))[0]:
                demandes[code] = (propre["nom_commune"], propre["code_postal"])
        return demandes

    def _rejeter_sans_commune(self, lot, communes) -> list:
        garde = []
        for numero, propre in lot:
            if propre["code_commune"] in communes:
                garde.append((numero, propre))
                continue
            self.rapport.lignes_rejetees += 1
            self.rapport.rejeter(
                numero,
                self.lecteur.nom_colonne("code_commune"),
                propre["code_commune"],
                "cette commune n'existe pas encore et le fichier ne donne pas son nom : importez d'abord les "
                "communes (import_communes) ou ajoutez la colonne du nom de la commune.",
            )
        return garde

    def _nouvelle(self, propre: dict, commune_id: int) -> Ecole:
        return Ecole(
            uai=propre["uai"],
            nom=propre["nom"],
            nature=propre["nature"],
            secteur=propre["secteur"],
            etat=propre.get("etat") or Ecole.Etat.OUVERTE,
            commune_id=commune_id,
            academie=propre["academie"],
            adresse=propre.get("adresse") or "",
            code_postal=propre["code_postal"],
            siret=propre["siret"],
            date_ouverture=propre["date_ouverture"],
            date_fermeture=propre["date_fermeture"],
            empreinte_import=propre["empreinte_import"],
        )

    def _changements(self, ecole: Ecole, propre: dict, commune) -> set[str]:
        """Sets the new values on `ecole`; returns the names of the fields that changed, and notes them."""
        wanted = self._voulu(propre, commune.pk)
        del wanted["commune_id"], wanted["academie"]
        changes, textes = set(), []
        for champ, valeur in wanted.items():
            ancienne = getattr(ecole, champ)
            if ancienne != valeur:
                textes.append(f"{Ecole._meta.get_field(champ).verbose_name} « {_affiche(ecole, champ)} » → ")
                setattr(ecole, champ, valeur)
                textes[-1] += f"« {_affiche(ecole, champ)} »"
                changes.add(champ)
        if ecole.commune_id != commune.pk:
            textes.append(f"commune « {ecole.commune} » → « {commune} »")
            ecole.commune = commune
            changes.add("commune")
        if ecole.academie != propre["academie"]:
            ecole.academie = propre["academie"]
            changes.add("academie")
        if changes:
            ecole.empreinte_import = propre["empreinte_import"]
            changes.add("empreinte_import")
        if changes:
            self.rapport.noter_modification(f"{ecole.uai} : " + " ; ".join(textes))
        if "etat" in changes and ecole.etat in FERMETURES:
            self.rapport.fermees += 1
        return changes

    def signaler_absentes(self) -> None:
        """Schools of the file's départements that the file no longer lists: reported for an agent, kept. The
        import wrote only schools it read, so the stored ones it did not read are as they were at its start."""
        absentes = sorted(
            uai
            for uai, (_, departement) in self.stockees.items()
            if departement in self.departements and uai not in self.uai_lus
        )
        self.rapport.nb_absentes += len(absentes)
        self.rapport.absentes += absentes[: 1000 - len(self.rapport.absentes)]


def _affiche(ecole: Ecole, champ: str) -> str:
    display = getattr(ecole, f"get_{champ}_display", None)
    valeur = display() if display else getattr(ecole, champ)
    if valeur is None:
        return "aucune"
    return valeur.strftime("%d/%m/%Y") if isinstance(valeur, datetime.date) else valeur
