"""The French codes of reference files (INSEE, SIREN, SIRET, postal codes, départements), checked as a
spreadsheet may have damaged them: each check takes the column key and the value and raises `ErreurChamp` with
the reason in French. Pure functions of one value, cached: in a national file the same commune, postal code or SIRET
comes back on many rows (a failed check raises, and is not cached).
"""

import re
from functools import lru_cache

from django.core.exceptions import ValidationError

from jobs.tabular import (
    CACHE_VALEURS,
    ErreurChamp,
    FichierIllisible,
    message_de,
    obligatoire,
    refuser_notation_scientifique,
)

from .academies import academie_par_code, academie_par_nom
from .validators import validate_code_insee, validate_siren, validate_siret


@lru_cache(maxsize=CACHE_VALEURS)
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


@lru_cache(maxsize=CACHE_VALEURS)
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


@lru_cache(maxsize=CACHE_VALEURS)
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


@lru_cache(maxsize=CACHE_VALEURS)
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


def code_academie(valeur: str) -> str:
    """The --academie option: a code ("11") or a name ("Montpellier")."""
    academie = academie_par_code(valeur) or academie_par_nom(valeur)
    if academie is None:
        raise FichierIllisible(f"Académie « {valeur} » inconnue : donnez son code (11 pour Montpellier) ou son nom.")
    return academie.code
