"""The communes an import needs, then the import of INSEE's files: the communes (COG), the groupings (EPCI) and the
« mouvements des communes » (collectivites.mouvements).

The reading of the file, the line-numbered report and the one-transaction run are jobs.tabular's, the checks of the
French codes collectivites.codes'; the schools import of `ecoles` uses all three, while `collectivites` knows nothing
of schools.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django.utils import timezone

from jobs.tabular import (
    Colonne,
    Contexte,
    Erreurs,
    LecteurCsv,
    RapportImport,
    appliquer_modifications,
    creer_avec_historique,
    executer,
    lignes_valides,
    motif_historique,
    normaliser_valeur,
    ouvrir,
    par_lots,
    sans_doublons,
    texte,
)

from .academies import Perimetre, perimetre
from .codes import code_academie, code_insee, departement_filtre, departement_insee, siren
from .models import Adhesion, Collectivite, Commune
from .mouvements import COLONNES_MOUVEMENTS, FORMAT_MOUVEMENTS, OBLIGATOIRES_MOUVEMENTS, traiter_mouvements
from .validators import departement_of

PLACEHOLDER = "À compléter"


def assurer_communes(
    demandes: dict[str, tuple[str, str]], contexte: Contexte, absentes: bool = False
) -> dict[str, int]:
    """The primary keys of the communes of these INSEE codes, the missing ones created from the name (and postal
    code) given.

    `demandes` maps a code to (name, postal code); a missing commune without a name is left out of the answer,
    for the caller to reject the rows that need it. `absentes`: the caller knows that none is stored (it read
    every code at its start), and nothing is looked up.
    """
    existantes = {}
    if not absentes:
        existantes = dict(Commune.objects.filter(code_insee__in=demandes.keys()).values_list("code_insee", "pk"))
    nouvelles = [
        Commune(code_insee=code, nom=nom, code_postal=cp, departement=departement_of(code))
        for code, (nom, cp) in demandes.items()
        if code not in existantes and nom
    ]
    if nouvelles:
        # Inserted in bulk, without Commune.save(): hence the département set above.
        creer_avec_historique(nouvelles, Commune, contexte)
        contexte.rapport.communes_creees += len(nouvelles)
        existantes.update({c.code_insee: c.pk for c in nouvelles})
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
    academie: str = "",
    simulation: bool = False,
    ignorer_invalides: bool = False,
    utilisateur=None,
    progression: Callable[[int, int, int], None] | None = None,
    date_effet: datetime.date | None = None,
) -> RapportImport:
    """Imports the INSEE commune file (COG), the composition of the EPCI or the « mouvements des communes »,
    recognised by their columns."""
    binaire, nom_lu, a_fermer = ouvrir(chemin_ou_fichier)
    nom_fichier = nom_fichier or nom_lu
    try:
        lecteur = LecteurCsv(binaire, nom_fichier, COLONNES_COG + COLONNES_EPCI + COLONNES_MOUVEMENTS)
        if lecteur.a("mod") or lecteur.a("com_av"):
            lecteur.exiger(COLONNES_MOUVEMENTS, OBLIGATOIRES_MOUVEMENTS, "les mouvements des communes")
            format_, traiter = FORMAT_MOUVEMENTS, traiter_mouvements
        elif lecteur.a("codgeo") or lecteur.a("epci"):
            lecteur.exiger(COLONNES_EPCI, ["codgeo", "libgeo", "epci", "libepci"], "la composition des EPCI")
            format_, traiter = FORMAT_EPCI, _traiter_epci
        else:
            lecteur.exiger(COLONNES_COG, ["typecom", "com", "libelle"], "les communes (COG) ou la composition des EPCI")
            format_, traiter = FORMAT_COG, _traiter_cog
        rapport = RapportImport(
            nom_fichier, "communes", format_, simulation=simulation, ignorer_invalides=ignorer_invalides
        )
        contexte = Contexte(rapport, utilisateur, motif_historique(format_, nom_fichier), date_effet)
        filtre = perimetre(departement_filtre(departement) if departement else "", academie and code_academie(academie))
        return executer(lambda: traiter(lecteur, contexte, filtre, progression), rapport)
    finally:
        if a_fermer:
            binaire.close()


def _verifier_cog(valeurs: dict, rapport: RapportImport, filtre: Perimetre | None) -> dict | None:
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
    if filtre and filtre.exclut(code):
        rapport.ignorees[filtre.hors] += 1
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


def _verifier_epci(valeurs: dict, rapport: RapportImport, filtre: Perimetre | None) -> dict | None:
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
    if filtre and filtre.exclut(code):
        rapport.ignorees[filtre.hors] += 1
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
        nouvelles, modifiees, inchangees = [], [], []
        for _, propre in lot:
            commune, groupement = existantes.get(propre["code"]), groupements[propre["siren"]]
            if commune is None:
                nouvelles.append(_nouvelle_commune(propre, groupement))
            elif commune.groupement_id == groupement.pk:
                rapport.inchangees += 1
                inchangees.append(commune)
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
        dater_adhesions(nouvelles + modifiees + inchangees, contexte.date_effet or timezone.localdate())


def dater_adhesions(communes: list[Commune], date: datetime.date) -> None:
    """The dated composition (Adhesion) of the groupings these communes now belong to, from `date`: a commune that
    changed grouping closes its membership on that date and opens another."""
    ouvertes = {a.commune_id: a for a in Adhesion.objects.filter(commune__in=communes, date_fin__isnull=True)}
    nouvelles, fermees, corrigees = [], [], []
    for commune in communes:
        adhesion = ouvertes.get(commune.pk)
        if adhesion is not None and adhesion.groupement_id == commune.groupement_id:
            continue
        if adhesion is not None and adhesion.date_debut >= date:
            adhesion.groupement_id = commune.groupement_id  # a file of the same date, corrected
            corrigees.append(adhesion)
            continue
        if adhesion is not None:
            adhesion.date_fin = date
            fermees.append(adhesion)
        nouvelles.append(Adhesion(commune=commune, groupement_id=commune.groupement_id, date_debut=date))
    Adhesion.objects.bulk_update(fermees, ["date_fin"])
    Adhesion.objects.bulk_update(corrigees, ["groupement"])
    Adhesion.objects.bulk_create(nouvelles)


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
    groupement = Collectivite(
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
    groupement.deriver_academie()  # bulk-created: save() does not run
    return groupement
