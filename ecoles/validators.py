"""The UAI (unité administrative immatriculée) code of a school: 7 characters then a check letter."""

import re

from django.core.exceptions import ValidationError

UAI_RE = re.compile(r"^(\d{7})([A-Z])$")
# The check letter is the 7-digit number modulo 23 indexing this alphabet (no I, O, Q).
UAI_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"


def uai_check_letter(digits: str) -> str:
    return UAI_LETTERS[int(digits) % 23]


def validate_uai(value: str) -> None:
    match = UAI_RE.match(value or "")
    if not match:
        raise ValidationError(
            "Le code UAI « %(value)s » est invalide : 7 chiffres suivis d'une lettre majuscule attendus.",
            code="uai_format",
            params={"value": value},
        )
    digits, letter = match.groups()
    expected = uai_check_letter(digits)
    if letter != expected:
        raise ValidationError(
            "Le code UAI « %(value)s » est invalide : la lettre de contrôle devrait être « %(expected)s ».",
            code="uai_cle",
            params={"value": value, "expected": expected},
        )
