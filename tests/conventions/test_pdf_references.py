"""The convention PDF looks and reads as its references: a speed-up of the renderer keeps every pixel and word.

Two conventions built from fixed data (no Faker value is printed, the verification code is fixed) are rendered and
each page drawn by poppler (pdftoppm, 72 dpi, grey) is compared to a PNG of tests/conventions/data/references/, made
by the renderer as it was before its optimisations; the text (pdftotext) must be the same, line for line.

After an intended change of the layout, draw the references again and review them before committing:

    REFERENCES_PDF=ecrire pytest tests/conventions/test_pdf_references.py
"""

import io
import os
import subprocess
import tempfile
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from PIL import Image, ImageChops, ImageDraw

from conventions.documents import convention_document
from documents.pdf import render
from tests.factories import CommuneFactory, ConventionFactory, EcoleFactory, valid_uai

from .pdf_support import loaded, printed_text, seed_convention

REFERENCES = Path(__file__).parent / "data" / "references"
ECRIRE = os.environ.get("REFERENCES_PDF") == "ecrire"
DPI = 72
# A pixel differs when its grey moves by more than SEUIL; a page may have PIXELS_TOLERES such pixels (anti-aliasing
# of a glyph edge), never a moved word or line, which changes thousands.
SEUIL = 48
PIXELS_TOLERES = 40


def pages_png(pdf: bytes) -> list[Image.Image]:
    with tempfile.TemporaryDirectory() as dossier:
        subprocess.run(["pdftoppm", "-r", str(DPI), "-gray", "-png", "-", f"{dossier}/page"], input=pdf, check=True)
        return [gris(Image.open(chemin)) for chemin in sorted(Path(dossier).glob("page-*.png"))]


def gris(image: Image.Image) -> Image.Image:
    """16 levels of grey: the references weigh a third as much, and the tolerance (SEUIL) is far above a level."""
    return image.convert("L").point(lambda v: v // 17 * 17)


def logo_fixe() -> bytes:
    """A logo drawn the same each time: colours, a diagonal and transparency, decoded and embedded by the renderer."""
    dessin = Image.new("RGBA", (240, 90), (0, 0, 0, 0))
    crayon = ImageDraw.Draw(dessin)
    crayon.rectangle((0, 0, 120, 90), fill=(0, 0, 145, 255))
    crayon.rectangle((120, 0, 240, 90), fill=(225, 0, 15, 255))
    crayon.line((0, 90, 240, 0), fill=(255, 255, 255, 255), width=6)
    sortie = io.BytesIO()
    dessin.save(sortie, format="PNG")
    return sortie.getvalue()


def petite():
    """The 2021-2022 convention, signed and dated: one school, the verification block, no field but the signatures."""
    convention = seed_convention()
    # Fixed as the references print them: a reference carries the collectivité's key, which the database does not
    # start again between tests.
    convention.reference = "ENT-11-2021-2022-0001-11260"
    convention.code_verification = "K7QM4XPA9DZC"
    return convention_document(convention)


def longue():
    """A draft of 300 schools with long names and the issuer's logo: "PROJET" across each of its 17 pages, the annexe
    over thirteen of them, the date of signature a field to fill."""
    commune = CommuneFactory(code_insee="11330", nom="Saint-Laurent-de-la-Cabrerisse")
    ecoles = [
        EcoleFactory(
            uai=valid_uai(n, "034"),
            nom=f"ECOLE PRIMAIRE {'JULES FERRY ET LUCIE AUBRAC' if n % 3 else 'LES OLIVIERS'} {n}",
            commune=commune,
        )
        for n in range(300)
    ]
    convention = ConventionFactory(
        collectivite__nom="Syndicat intercommunal à vocation scolaire de la Cabrerisse",
        collectivite__commune=commune,
        collectivite__adresse="2 place de la Mairie",
        collectivite__ville="Saint-Laurent-de-la-Cabrerisse",
        representant_civilite="Madame",
        representant_prenom="Marie-Hélène",
        representant_nom="Dupont-Etchegaray",
        representant_qualite="Présidente",
        ecoles=ecoles,
    )
    academie = convention.annee.academie
    academie.logo.save("logo.png", ContentFile(logo_fixe()))
    convention = loaded(convention)
    convention.reference = "ENT-11-2021-2022-0002"
    convention.code_verification = "2DZC9XPAK7QM"
    return convention_document(convention, projet=True)


@pytest.mark.parametrize("nom, construire", [("petite", petite), ("longue", longue)])
def test_the_pdf_is_pixel_and_word_for_word_its_reference(db, nom, construire):
    """Each page within a few anti-aliased pixels of its reference image, the text identical; rendered twice in the
    process, so that the second one is laid out from what the renderer remembers of the first (documents/lignes.py)."""
    document = construire()
    render(document)
    pdf = render(document)[2]
    pages, texte = pages_png(pdf), printed_text(pdf)
    dossier = REFERENCES / nom
    if ECRIRE:
        dossier.mkdir(parents=True, exist_ok=True)
        for ancien in dossier.glob("*"):
            ancien.unlink()
        for numero, page in enumerate(pages, start=1):
            page.save(dossier / f"page-{numero:02d}.png", optimize=True)
        (dossier / "texte.txt").write_text("\f".join(texte))
        pytest.skip(f"références écrites dans {dossier}")

    attendues = sorted(dossier.glob("page-*.png"))
    assert len(pages) == len(attendues), "nombre de pages"
    for numero, (page, chemin) in enumerate(zip(pages, attendues, strict=True), start=1):
        reference = gris(Image.open(chemin))
        assert page.size == reference.size, f"page {numero} : taille"
        ecart = ImageChops.difference(page, reference).point(lambda v: 255 if v > SEUIL else 0)
        differents = ecart.histogram()[255]
        assert differents <= PIXELS_TOLERES, f"page {numero} : {differents} pixels diffèrent de la référence"
    assert texte == (dossier / "texte.txt").read_text().split("\f")


def test_the_references_cover_the_annexe_the_logo_and_the_draft():
    """The long reference exercises what the speed-ups touch: many annexe pages, the logo, the filigrane."""
    texte = (REFERENCES / "longue" / "texte.txt").read_text()
    assert texte.count("ANNEXE 1 - Liste") >= 10 and " 300 0340299R - SAINT-LAURENT" in texte
    assert "treize septembre 2021" in (REFERENCES / "petite" / "texte.txt").read_text()
