"""Verification codes printed on every issued PDF, and what the public page /verifier/ may say about a document.

A code is 12 random characters of Crockford's base32 (60 bits), printed "K7QM-4XPA-9DZC", stored on the document
(Convention.code_verification, TitreDePerception.code_verification; unique). Stored rather than derived from an id
and a secret key: a printed code must keep working for the legal life of the document (ten years and more), whatever
happens to the keys, and a random code reveals nothing (no id, no count of documents). 60 bits with a rate limit of a
few requests a minute per address make guessing a code hopeless.

Dependencies flow one way: documents knows no domain app, so each app registers its document types, and with them
how /verifier/ finds them by code and by the SHA-256 of a file, in its AppConfig.ready() (documents.registry).
"""

import datetime
import secrets
from collections.abc import Callable
from dataclasses import dataclass

import segno
from django.conf import settings
from django.urls import reverse

from .formats import date_longue

# Crockford's base32: no I, L, O, U, which are read as 1, 1, 0 or mistaken for V when typed from paper.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LONGUEUR = 12
_LECTURE = str.maketrans({"O": "0", "I": "1", "L": "1"})


def nouveau_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LONGUEUR))


def normaliser(saisie: str) -> str | None:
    """The stored form of a typed code ("k7qm 4xpa-9dzc" → "K7QM4XPA9DZC"), or None if it cannot be one."""
    code = "".join(ch for ch in (saisie or "").upper() if ch.isalnum()).translate(_LECTURE)
    if len(code) != LONGUEUR or any(ch not in ALPHABET for ch in code):
        return None
    return code


def affiche(code: str) -> str:
    """ "K7QM-4XPA-9DZC": groups of four, as printed and as the QR code's address carries it."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def url_verification(code: str) -> str:
    return f"{settings.SITE_URL}{reverse('verification')}?code={affiche(code)}"


QUIET_ZONE = 4


def qr_data_url(url: str) -> str:
    """A QR code as a data: URL (the PDF renderer fetches nothing but data: URLs and static/ files): a PNG of one
    pixel per module, which the PDF embeds once and draws on every page, scaled without interpolation (sharp at any
    size, and PDF/A forbids interpolation). As SVG, WeasyPrint parsed and drew its path again on each page: ~5 ms a
    page. With its quiet zone of four modules (ISO/IEC 18004): without it, a phone does not find the code next to the
    footer's text."""
    return segno.make_qr(url, error="m").png_data_uri(scale=1, border=QUIET_ZONE)


def contexte_pdf(code: str | None) -> dict:
    """What pdf/_verification.html prints: the code, the address and its QR code (nothing without a code)."""
    if not code:
        return {}
    url = url_verification(code)
    return {
        "verification_code": affiche(code),
        "verification_url": f"{settings.SITE_URL}{reverse('verification')}",
        "verification_qr": qr_data_url(url),
    }


# --- What the public page says -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DocumentVerifie:
    """The whole answer of /verifier/ about an authentic document: nothing about amounts, people or addresses."""

    nature: str  # "Convention de partenariat ENT-école", "Titre de perception", ...
    reference: str  # the convention's reference or the titre's number
    emis_le: datetime.date
    etat: str  # "Signée", "Annulé", "Payé", ...
    # Which version of the document the uploaded file is ("exemplaire envoyé pour signature"...), when known.
    version: str = ""
    # Who issued it, as the document names itself: "Académie de Montpellier" (the issuer is public, printed on it).
    emetteur: str = ""

    @property
    def emetteur_designation(self) -> str:
        """ "académie de Montpellier", after "le rectorat de l'"."""
        return self.emetteur[:1].lower() + self.emetteur[1:]

    @property
    def emis_le_texte(self) -> str:
        return date_longue(self.emis_le)


@dataclass(frozen=True)
class Source:
    """How /verifier/ finds the documents of one type: by a code (normalised) and by the SHA-256 of a file."""

    par_code: Callable[[str], DocumentVerifie | None]
    par_empreinte: Callable[[str], DocumentVerifie | None]
