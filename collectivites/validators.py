"""Validation of the French administrative codes a collectivité carries."""

import re

from django.core.exceptions import ValidationError
from stdnum.fr import siren, siret

# Départements 01-19, 21-95 (20 became 2A/2B in 1976), Corsica, then the overseas 97x/98x codes.
INSEE_RE = re.compile(r"^(?:(?:0[1-9]|1\d|2[1-9AB]|[3-8]\d|9[0-5])\d{3}|9[78]\d{3})$")


def validate_siren(value: str) -> None:
    if not siren.is_valid(value or ""):
        raise ValidationError(
            "Le SIREN « %(value)s » est invalide : 9 chiffres attendus dont le dernier est une clé de contrôle.",
            code="siren",
            params={"value": value},
        )


def validate_siret(value: str) -> None:
    if not siret.is_valid(value or ""):
        raise ValidationError(
            "Le SIRET « %(value)s » est invalide : 14 chiffres attendus dont le dernier est une clé de contrôle.",
            code="siret",
            params={"value": value},
        )


def validate_code_insee(value: str) -> None:
    if not INSEE_RE.match(value or ""):
        raise ValidationError(
            "Le code INSEE « %(value)s » est invalide : 5 caractères attendus, le département (01 à 95, 2A, 2B "
            "ou 971 à 989) suivi du numéro de la commune.",
            code="code_insee",
            params={"value": value},
        )


def departement_of(code_insee: str) -> str:
    """The département code within an INSEE commune code: "11" for 11260, "2A" for 2A004, "971" for 97101."""
    return code_insee[:3] if code_insee.startswith(("97", "98")) else code_insee[:2]
