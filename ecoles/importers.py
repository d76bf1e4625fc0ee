"""Importing the schools from the Ministry's open data: "Annuaire de l'éducation" (current and older column names),
"Adresse et géolocalisation des établissements" and "IPS des écoles".

A school is identified by its UAI. Only premier-degré schools are kept; the others are counted as skipped with
their reason. A school missing from the file is reported, never deleted: it may be in the Annexe 1 of a signed
convention. The reading, the report and the run are jobs.tabular's; the French codes are collectivites.importers'.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.core.exceptions import ValidationError

from collectivites.importers import (
    assurer_communes,
    code_insee,
    code_postal,
    departement_filtre,
    departement_insee,
    siret,
)
from collectivites.imports import FormatImport
from collectivites.validators import departement_of
from jobs.tabular import (
    Colonne,
    Contexte,
    ErreurChamp,
    Erreurs,
    FichierIllisible,
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

# The académie codes of the annuaire (Code_academie), for files that only give the académie's name.
ACADEMIES = {
    "01": "PARIS",
    "02": "AIX-MARSEILLE",
    "03": "BESANCON",
    "04": "BORDEAUX",
    "06": "CLERMONT-FERRAND",
    "07": "DIJON",
    "08": "GRENOBLE",
    "09": "LILLE",
    "10": "LYON",
    "11": "MONTPELLIER",
    "12": "NANCY-METZ",
    "13": "POITIERS",
    "14": "RENNES",
    "15": "STRASBOURG",
    "16": "TOULOUSE",
    "17": "NANTES",
    "18": "ORLEANS-TOURS",
    "19": "REIMS",
    "20": "AMIENS",
    "22": "LIMOGES",
    "23": "NICE",
    "24": "CRETEIL",
    "25": "VERSAILLES",
    "27": "CORSE",
    "28": "LA REUNION",
    "31": "MARTINIQUE",
    "32": "GUADELOUPE",
    "33": "GUYANE",
    "43": "MAYOTTE",
    "70": "NORMANDIE",
}

ETATS = {
    "OUVERT": Ecole.Etat.OUVERTE,
    "OUVERTE": Ecole.Etat.OUVERTE,
    "A FERMER": Ecole.Etat.A_FERMER,
    "FERME": Ecole.Etat.FERMEE,
    "FERMEE": Ecole.Etat.FERMEE,
}
CHAMPS_FACULTATIFS = {"etat": "etat", "adresse": "adresse", "code_postal": "code_postal", "siret": "siret"}


def departement_of_uai(uai: str) -> str:
    """The département of a UAI in INSEE's form: "011…" → "11", "620…" → "2A", "720…" → "2B", "971…" → "971"."""
    prefix = uai[:3]
    return {"620": "2A", "720": "2B"}.get(prefix) or (prefix[1:] if prefix.startswith("0") else prefix)


def code_academie(valeur: str) -> str:
    """The --academie option: a code ("11") or a name ("Montpellier")."""
    valeur = valeur.strip()
    if valeur.isdigit() and valeur.zfill(2) in ACADEMIES:
        return valeur.zfill(2)
    for code, nom in ACADEMIES.items():
        if normaliser_valeur(valeur).replace(" ", "-") == nom.replace(" ", "-"):
            return code
    raise FichierIllisible(f"Académie « {valeur} » inconnue : donnez son code (11 pour Montpellier) ou son nom.")


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
        if filtre.academie and not (lecteur.a("academie") or lecteur.a("nom_academie")):
            raise FichierIllisible(
                f"Le fichier « {nom_fichier} » n'indique pas l'académie de chaque école : filtrez-le par "
                "département (--departement) plutôt que par académie."
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
            return f"Hors de l'académie {self.academie} ({ACADEMIES[self.academie].title()})"
        return None

    def _dans_academie(self, valeurs: dict) -> bool:
        if valeurs.get("academie"):
            return valeurs["academie"].zfill(2) == self.academie
        nom = normaliser_valeur(valeurs.get("nom_academie", "")).replace(" ", "-")
        return nom == ACADEMIES[self.academie].replace(" ", "-")


def _departement_probable(valeurs: dict) -> str | None:
    """The row's département for the filter, before the checks: from the UAI, else from the département column."""
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


def secteur(valeur: str) -> str:
    normalise = normaliser_valeur(valeur)
    if normalise.startswith("PUBLIC"):
        return Ecole.Secteur.PUBLIC
    if normalise.startswith("PRIVE"):
        return Ecole.Secteur.PRIVE
    if not valeur:
        raise ErreurChamp("secteur", valeur, "valeur obligatoire manquante (secteur public ou privé).")
    raise ErreurChamp("secteur", valeur, "secteur inconnu : « Public » ou « Privé » attendu.")


def etat(valeur: str) -> str:
    if normaliser_valeur(valeur) in ETATS:
        return ETATS[normaliser_valeur(valeur)]
    if not valeur:
        raise ErreurChamp("etat", valeur, "valeur obligatoire manquante (état de l'école).")
    raise ErreurChamp("etat", valeur, "état inconnu : « OUVERT », « A FERMER » ou « FERME » attendu.")


def uai(valeur: str) -> str:
    valeur = valeur.upper()
    if not valeur:
        raise ErreurChamp("uai", valeur, "valeur obligatoire manquante (UAI).")
    try:
        validate_uai(valeur)
    except ValidationError as error:
        raise ErreurChamp("uai", valeur, message_de(error)) from None
    return valeur


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
        self.uai_lus.add(valeurs["uai"].upper())
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
        for cle in ("date_ouverture", "date_maj"):
            erreurs.essayer(date_iso, cle, valeurs.get(cle, ""))
        self.verifier_departement(valeurs, propre, erreurs)
        erreurs.lever()
        return propre

    def verifier_departement(self, valeurs: dict, propre: dict, erreurs: Erreurs) -> None:
        """The UAI starts with the school's département ("011", "620" for 2A, "971"): the file must agree."""
        if not propre["uai"]:
            return
        attendu, prefixe = departement_of_uai(propre["uai"]), propre["uai"][:3]
        if "departement" in valeurs:
            departement = erreurs.essayer(departement_insee, "departement", valeurs["departement"], 3)
            if departement and departement != attendu:
                erreurs.ajouter(
                    "departement",
                    valeurs["departement"],
                    f"ce département ne correspond pas à l'UAI {propre['uai']}, qui commence par celui de l'école "
                    f"({prefixe}).",
                )
        commune = propre["code_commune"]
        if commune and departement_of(commune) != attendu:
            erreurs.ajouter(
                "code_commune",
                commune,
                f"cette commune est dans le département {departement_of(commune)}, alors que l'UAI "
                f"{propre['uai']} est celui d'une école du département {prefixe}.",
            )
        self.departements.add(attendu)

    def appliquer(self, lot: list[tuple[int, dict]]) -> None:
        """Compares one lot with the database (one query per model) and writes it in bulk, with its history."""
        communes = assurer_communes(self._communes_demandees(lot), self.contexte)
        lot = self._rejeter_sans_commune(lot, communes)
        existantes = {
            e.uai: e for e in Ecole.objects.filter(uai__in=[p["uai"] for _, p in lot]).select_related("commune")
        }
        nouvelles, modifiees, champs = [], [], set()
        for _, propre in lot:
            commune = communes[propre["code_commune"]]
            ecole = existantes.get(propre["uai"])
            if ecole is None:
                nouvelles.append(self._nouvelle(propre, commune))
                continue
            changes = self._changements(ecole, propre, commune)
            if changes:
                champs.update(changes)
                modifiees.append(ecole)
            else:
                self.rapport.inchangees += 1
        creer_avec_historique(nouvelles, Ecole, self.contexte)
        appliquer_modifications(modifiees, Ecole, champs, self.contexte)
        self.rapport.creees += len(nouvelles)
        self.rapport.modifiees += len(modifiees)

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

    def _nouvelle(self, propre: dict, commune) -> Ecole:
        return Ecole(
            uai=propre["uai"],
            nom=propre["nom"],
            nature=propre["nature"],
            secteur=propre["secteur"],
            etat=propre.get("etat") or Ecole.Etat.OUVERTE,
            commune=commune,
            adresse=propre.get("adresse") or "",
            code_postal=propre["code_postal"],
            siret=propre["siret"],
        )

    def _changements(self, ecole: Ecole, propre: dict, commune) -> set[str]:
        """Sets the new values on `ecole`; returns the names of the fields that changed, and notes them."""
        wanted = {"nom": propre["nom"], "secteur": propre["secteur"]}
        if propre["nature_certaine"]:
            wanted["nature"] = propre["nature"]
        wanted.update({champ: propre[champ] for champ in self.champs_fichier})
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
        if changes:
            self.rapport.noter_modification(f"{ecole.uai} : " + " ; ".join(textes))
        if "etat" in changes and ecole.etat in FERMETURES:
            self.rapport.fermees += 1
        return changes

    def signaler_absentes(self) -> None:
        """Schools of the file's départements that the file no longer lists: reported for an agent, kept."""
        if not self.departements:
            return
        stockees = (
            Ecole.objects.filter(commune__departement__in=self.departements)
            .exclude(etat=Ecole.Etat.FERMEE)
            .values_list("uai", flat=True)
            .order_by("uai")
        )
        for code in stockees.iterator(chunk_size=5000):
            if code not in self.uai_lus:
                self.rapport.nb_absentes += 1
                if len(self.rapport.absentes) < 1000:
                    self.rapport.absentes.append(code)


def _affiche(ecole: Ecole, champ: str) -> str:
    display = getattr(ecole, f"get_{champ}_display", None)
    return display() if display else getattr(ecole, champ)
