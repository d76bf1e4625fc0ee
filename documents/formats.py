"""French formatting that users check (amounts, dates, dates in words, plurals) and CSV cells no spreadsheet runs."""

import datetime
import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal

from num2words import num2words

NBSP = "\u00a0"
# WORD JOINER: invisible, never extracted as text, forbids a line break where it stands.
WORD_JOINER = "\u2060"
_HYPHEN_IN_WORD = re.compile(r"(?<=\w)-(?=\w)")
MOIS = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]


def _group_thousands(integer: int) -> str:
    return f"{integer:,}".replace(",", NBSP)


def euros(value: Decimal, decimals: bool = True) -> str:
    """ "1 250,00 €" (non-breaking spaces); with decimals=False a whole amount drops its cents: "50 €"."""
    value = Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    sign = "-" if value < 0 else ""
    value = abs(value)
    integer, cents = divmod(value, 1)
    text = _group_thousands(int(integer))
    if decimals or cents:
        text += "," + f"{cents:.2f}"[2:]
    return f"{sign}{text}{NBSP}€"


def euros_en_lettres(value: Decimal) -> str:
    """ "cinquante euros", "mille deux cent cinquante euros et dix centimes"."""
    value = Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    integer, cents = int(value), int((value - int(value)) * 100)
    text = f"{num2words(integer, lang='fr')} euro{'s' if integer > 1 else ''}"
    if cents:
        text += f" et {num2words(cents, lang='fr')} centime{'s' if cents > 1 else ''}"
    return text


def date_longue(value: datetime.date, zero_pad: bool = False) -> str:
    """ "13 septembre 2021", "1er septembre 2022"; "01 septembre 2022" with zero_pad, as Article 3 writes it."""
    if zero_pad:
        return f"{value.day:02d} {MOIS[value.month - 1]} {value.year}"
    day = "1er" if value.day == 1 else str(value.day)
    return f"{day} {MOIS[value.month - 1]} {value.year}"


def date_en_lettres(value: datetime.date) -> str:
    """ "treize septembre 2021", "premier mai 2022": the day in words, as on the signature line."""
    day = "premier" if value.day == 1 else num2words(value.day, lang="fr")
    return f"{day} {MOIS[value.month - 1]} {value.year}"


def pluriel(count: int, singulier: str, pluriel: str | None = None) -> str:
    """ "1 école", "3 écoles", "0 école" (French takes the singular below 2)."""
    return f"{count} {singulier if abs(count) < 2 else (pluriel or singulier + 's')}"


def majuscules(text: str) -> str:
    """ "Académie de Montpellier" → "ACADEMIE DE MONTPELLIER": capitals without accents, as the convention writes
    its headings and the names of communes and signatories ("L'ACADEMIE", "Sophie BEJEAN", "MOUTHOUMET")."""
    decomposed = unicodedata.normalize("NFD", text.upper())
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if not unicodedata.combining(c)))


# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def cellule_sure(value) -> str:
    """A CSV cell that no spreadsheet will run as a formula: "=1+1" is written "'=1+1"."""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def sans_coupure(text: str) -> str:
    """ "ENT-école" that a line never breaks after its hyphen (the layout would otherwise break there, as after any
    hyphen): a word joiner follows each hyphen inside a word. Readers and text extraction see the same word."""
    return _HYPHEN_IN_WORD.sub("-" + WORD_JOINER, text)
