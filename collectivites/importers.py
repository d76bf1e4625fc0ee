"""The French codes of reference files (INSEE, SIREN, SIRET, départements) as a spreadsheet may have damaged them,
the communes an import needs, then the import of the communes (COG) and of the groupings (EPCI) from INSEE's files.

The reading of the file, the line-numbered report and the one-transaction run are jobs.tabular's; the schools
import of `ecoles` uses both that and the codes here, while `collectivites` knows nothing of schools.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.core.exceptions import ValidationError

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
    executer,
    lignes_valides,
    message_de,
    motif_historique,
    normaliser_valeur,
    obligatoire,
    ouvrir,
    par_lots,
    refuser_notation_scientifique,
    sans_doublons,
    texte,
)

from .models import Collectivite, Commune
from .validators import departement_of, validate_code_insee, validate_siren, validate_siret

PLACEHOLDER = "À compléter"


# ---------------------------------------------------------------------------------------------------------------
# Checks of the French codes, including the damage a spreadsheet does
# ---------------------------------------------------------------------------------------------------------------


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
# The communes an import needs
# ---------------------------------------------------------------------------------------------------------------


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
