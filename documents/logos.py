"""An issuer's logo: checked when it is uploaded, printed at the head of its documents and shown on its pages.

Only PNG and JPEG are accepted, and only files Pillow opens as such: a file named logo.png that holds anything else
(a PDF, an SVG with its scripts, an HTML page) is refused. The file is stored as uploaded, on the documents' storage;
what a PDF embeds is a copy converted to an sRGB PNG (`logo_data_uri`), because PDF/A wants the colours of its
output intent (a CMYK JPEG would break the conformance of every document it is printed on).
"""

import base64
import io
from functools import lru_cache

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from PIL import Image, UnidentifiedImageError

from .televersements import en_mo

FORMATS_LOGO = {"PNG": "PNG", "JPEG": "JPEG"}
LOGO_TAILLE_MAX = 500 * 1024
LOGO_COTE_MAX = 4000


def valider_logo(fichier) -> None:
    """Refuses, with a French message, a file that is not a PNG or JPEG image, or is too big."""
    taille = getattr(fichier, "size", None)
    if taille is not None and taille > LOGO_TAILLE_MAX:
        raise ValidationError(
            "Le logo pèse %(taille)s : %(max)s au maximum. Enregistrez-le en plus petit (une largeur de 600 pixels "
            "suffit pour l'en-tête des documents).",
            code="logo_trop_lourd",
            params={"taille": en_mo(taille), "max": en_mo(LOGO_TAILLE_MAX)},
        )
    try:
        fichier.seek(0)
        with Image.open(fichier) as image:
            format_image = image.format
            largeur, hauteur = image.size
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ValidationError(
            "Ce fichier n'est pas une image lisible : le logo doit être une image PNG ou JPEG.", code="logo_illisible"
        ) from exc
    finally:
        fichier.seek(0)
    if format_image not in FORMATS_LOGO:
        raise ValidationError(
            "Le logo doit être une image PNG ou JPEG (ce fichier est au format %(format)s).",
            code="logo_format",
            params={"format": format_image or "inconnu"},
        )
    if max(largeur, hauteur) > LOGO_COTE_MAX:
        raise ValidationError(
            "Le logo mesure %(largeur)s × %(hauteur)s pixels : %(max)s pixels de côté au maximum.",
            code="logo_trop_grand",
            params={"largeur": largeur, "hauteur": hauteur, "max": LOGO_COTE_MAX},
        )


def extension_logo(fichier) -> str:
    """ "png" or "jpg", from the first bytes of a logo valider_logo accepted."""
    fichier.seek(0)
    debut = fichier.read(8)
    fichier.seek(0)
    return "png" if debut.startswith(b"\x89PNG") else "jpg"


@lru_cache(maxsize=16)
def _png_srgb(nom: str) -> str:
    # Keyed by the stored name: a new logo is stored under a new name (upload_to), so a cached copy never goes stale.
    with default_storage.open(nom, "rb") as stored, Image.open(stored) as image:
        image = image.convert("RGBA" if image.mode in ("RGBA", "LA", "P", "PA") else "RGB")
        sortie = io.BytesIO()
        image.save(sortie, format="PNG")
    return "data:image/png;base64," + base64.b64encode(sortie.getvalue()).decode()


def logo_data_uri(nom: str) -> str:
    """The stored logo `nom` as a data: URL of an sRGB PNG (the PDF renderer fetches nothing else), or "" without
    one or when the file is gone (a document is still issued, without the logo)."""
    if not nom:
        return ""
    try:
        return _png_srgb(nom)
    except (OSError, UnidentifiedImageError):
        return ""
